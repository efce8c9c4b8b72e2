"""Learning statistics (学情) and roster import (学员信息表)."""
