# Run by test_pipeline_crash.py inside `odoo shell` (which provides `env`): a real pull with
# real commits, of the corp named by WECOM_WORKER_CORPID, until nothing is left.
import os

corp = env["wecom.corp"].search([("corpid", "=", os.environ["WECOM_WORKER_CORPID"])])
corp.ensure_one()
total = 0
while True:
    stored = corp._pull()
    if not stored:
        break
    total += stored
print(f"WORKER DONE {total}", flush=True)
