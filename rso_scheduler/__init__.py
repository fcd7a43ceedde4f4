"""rso-scheduler: risk-tiered home-visit rosters, route maps, compliance reports and capacity scenarios."""

__version__ = "0.1.0"
