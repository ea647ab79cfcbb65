"""The ETL's SQL loader is the package's own (`clickstream.sqlfiles`); kept for old imports."""

from clickstream.sqlfiles import named as named
from clickstream.sqlfiles import script as script
