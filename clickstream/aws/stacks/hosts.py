"""First-boot scripts of the two EC2 hosts, installing from the wheelhouse asset only.

The analytics host has no route to the internet: its wheels come from the CDK asset bucket
through the S3 gateway endpoint, and Amazon Linux 2023's package repositories are S3 buckets
too, so `dnf` reaches PostgreSQL 15 and Python 3.11 the same way. Secrets are read from
Secrets Manager through its interface endpoint and never written to the script.
"""

from __future__ import annotations

INSTALL = """set -euo pipefail
dnf install -y -q python3.11 unzip postgresql15-server
aws s3 cp "{wheels}" /tmp/wheels.zip
mkdir -p /opt/clickstream/wheels
unzip -o -q /tmp/wheels.zip -d /opt/clickstream/wheels
python3.11 -m venv /opt/clickstream/venv
/opt/clickstream/venv/bin/pip install -q --no-index --find-links /opt/clickstream/wheels \\
    clickstream
id clickstream >/dev/null 2>&1 || useradd --system --home /var/lib/clickstream clickstream
mkdir -p /var/lib/clickstream && chown clickstream: /var/lib/clickstream
postgresql-setup --initdb || true
"""

ANALYTICS = (
    INSTALL
    + """PGDATA=/var/lib/pgsql/data
# The ETL Lambda connects over the VPC with a password; everything else is local.
grep -q clickstream_etl "$PGDATA/pg_hba.conf" || sed -i '1i\\
local clickstream clickstream_dashboard trust\\
host clickstream clickstream_etl {vpc_cidr} scram-sha-256' "$PGDATA/pg_hba.conf"
echo "listen_addresses = '*'" > "$PGDATA/conf.d.clickstream.conf"
grep -q conf.d.clickstream "$PGDATA/postgresql.conf" || \\
    echo "include_if_exists = 'conf.d.clickstream.conf'" >> "$PGDATA/postgresql.conf"
systemctl enable --now postgresql
sudo -u postgres psql -qtc "SELECT 1 FROM pg_database WHERE datname = 'clickstream'" \\
    | grep -q 1 || sudo -u postgres createdb clickstream
sudo -u postgres env CLICKSTREAM_WAREHOUSE_URL='postgresql:///clickstream?host=/run/postgresql' \\
    CLICKSTREAM_DATA_DIR=/tmp /opt/clickstream/venv/bin/clickstream db migrate
password=$(aws secretsmanager get-secret-value --secret-id "{etl_secret}" \\
    --query SecretString --output text \\
    | python3.11 -c 'import json, sys; print(json.load(sys.stdin)["password"])')
sudo -u postgres psql -q -d clickstream -v pw="$password" \\
    -c "ALTER ROLE clickstream_etl LOGIN PASSWORD :'pw'"
cat > /etc/systemd/system/clickstream-dashboard.service <<'UNIT'
[Unit]
Description=Clickstream dashboards on 127.0.0.1:3838 (reached through SSM port forwarding)
After=postgresql.service
[Service]
User=clickstream
Environment=CLICKSTREAM_DATA_DIR=/var/lib/clickstream
Environment=CLICKSTREAM_DASHBOARD_HOST=127.0.0.1
Environment=CLICKSTREAM_DASHBOARD_PORT=3838
Environment=CLICKSTREAM_DASHBOARD_DB_URL=postgresql://clickstream_dashboard@/clickstream?host=/run/postgresql
Environment=CLICKSTREAM_WAREHOUSE_URL=postgresql://clickstream_dashboard@/clickstream?host=/run/postgresql
ExecStart=/opt/clickstream/venv/bin/clickstream dashboard serve
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now clickstream-dashboard
"""
)

SHOP = (
    INSTALL
    + """PGDATA=/var/lib/pgsql/data
# The OLTP database listens on the loopback only: the shop on this host is its one client.
grep -q "local shop" "$PGDATA/pg_hba.conf" || sed -i '1i\\
local shop clickstream_shop trust' "$PGDATA/pg_hba.conf"
systemctl enable --now postgresql
sudo -u postgres psql -qtc "SELECT 1 FROM pg_roles WHERE rolname = 'clickstream_shop'" \\
    | grep -q 1 || sudo -u postgres createuser clickstream_shop
sudo -u postgres psql -qtc "SELECT 1 FROM pg_database WHERE datname = 'shop'" \\
    | grep -q 1 || sudo -u postgres createdb --owner clickstream_shop shop
cat > /etc/systemd/system/clickstream-shop.service <<'UNIT'
[Unit]
Description=Clickstream demo shop behind CloudFront
After=postgresql.service
[Service]
User=clickstream
Environment=CLICKSTREAM_DATA_DIR=/var/lib/clickstream
Environment=CLICKSTREAM_SHOP_HOST=0.0.0.0
Environment=CLICKSTREAM_SHOP_PORT={port}
Environment=CLICKSTREAM_SHOP_DB_URL=postgresql://clickstream_shop@/shop?host=/run/postgresql
Environment=CLICKSTREAM_MEDIA_URL=s3://{media_bucket}/media
Environment=CLICKSTREAM_TRACKER_INGEST_URL={ingest_url}
# The pool's ids, for the shop's Cognito backend (clickstream/auth/cognito.py, docs/aws.md)
Environment=CLICKSTREAM_AUTH_COGNITO_POOL_ID={pool_id}
Environment=CLICKSTREAM_AUTH_COGNITO_CLIENT_ID={client_id}
Environment=AWS_REGION={region}
ExecStart=/opt/clickstream/venv/bin/clickstream shop serve
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now clickstream-shop
# the tracker is served under /static/ from the media bucket, like every fingerprinted file
/opt/clickstream/venv/bin/python - <<'PY'
import hashlib, subprocess
from clickstream.shop.app import TRACKER
data = TRACKER.read_bytes()
name = f"static/clickstream-{{hashlib.sha256(data).hexdigest()[:10]}}.min.js"
subprocess.run(["aws", "s3", "cp", str(TRACKER), "s3://{media_bucket}/" + name,
                "--content-type", "application/javascript",
                "--cache-control", "public, max-age=31536000, immutable"], check=True)
PY
"""
)
