"""The demo community (黔西南州), built through the services: `flask demo load`."""
