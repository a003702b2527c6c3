"""Above the districts: the regional viewer's page of its region's figures, and the deployment
administrator's page of regions, districts and their first administrators.

Accounts above the districts reach these pages, their account and signing out, and nothing of a
district (``web.oversight.confine``)."""

from web.oversight.routes import bp, confine

__all__ = ["bp", "confine"]
