"""Lesson studies (课例研究, 三备两打磨): plans, stages, design versions, observations."""
