"""What scripts/acceptance needs beyond ecship itself: the run's specs, who and where it runs,
an estimate of its cost, and the sweeper's view of what a run left.

  acceptance.py prepare SEED OUT RUN_ID IMAGE      write SEED's spec for this run; print its stack
  acceptance.py whoami                             print ACCOUNT REGION of the credentials
  acceptance.py estimate SPEC...                   print what the run costs, roughly
  acceptance.py stacks RUN_ID|-                    the run's stacks still there (- : every run's)
  acceptance.py leftovers RUN_ID|-                 what is still tagged with the run's id
  acceptance.py snapshots RUN_ID|-                 delete the final snapshots `--delete-data` left
  acceptance.py left SPEC_RESULT                   the `leftovers` of `destroy --output json`
  acceptance.py responder                          print the tasks' web server (python3 -c CODE PORT)

Needs boto3 and PyYAML (scripts/setup installs both into .venv).
"""

import json
import os
import sys

import boto3
import yaml

TAG = "acceptance-run"

# A web server in one line of Python: 200 and "ok" for every GET, on the port it is given.
RESPONDER = (
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
    "http.server.ThreadingHTTPServer(('', int(sys.argv[1])), H).serve_forever()\n"
)


def _task(task: dict, image: str, command: list[str], stack: str) -> None:
    """Run the public image instead of the example's; secrets the account may not hold go."""
    if not isinstance(task.get("image"), dict) or "service" not in task["image"]:
        task["image"] = image
    task["command"] = command
    task.pop("secrets", None)
    options = (task.get("logging") or {}).get("options")
    if options and "log_group_name" in options:
        # Logs go to the stack's own group, which destroy deletes, not one left outside it.
        old, new = options["log_group_name"], f"/ecship/{stack}"
        options["log_group_name"], options["auto_create_group"] = new, "false"
        for grant in task.get("permissions") or []:
            grant["resources"] = [f"arn:aws:logs:*:*:log-group:{new}:*" if f"log-group:{old}" in r else r for r in grant["resources"]]


def prepare(seed: str, out: str, run_id: str, image: str) -> None:
    with open(seed, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    spec["stack"] = f"{run_id}-{spec['stack']}"
    spec["tags"] = {**(spec.get("tags") or {}), TAG: run_id}
    spec.pop("environments", None)
    for svc in (spec.get("services") or {}).values():
        _task(svc, image, ["python3", "-c", RESPONDER, str(svc.get("port", 8080))], spec["stack"])
        deploy = svc.get("deploy") or {}
        for strategy in ("canary", "blue_green", "linear"):
            if isinstance(deploy.get(strategy), dict) and "bake" in deploy[strategy]:
                # ECS runs its own rollouts' bakes in whole minutes.
                deploy[strategy]["bake"] = "1m" if deploy.get("engine") == "ecs" else "10s"
    for job in (spec.get("jobs") or {}).values():
        _task(job, image, ["python3", "-c", "print('acceptance')"], spec["stack"])
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump(spec, f, sort_keys=False)
    print(spec["stack"])


def whoami() -> None:
    session = boto3.session.Session()
    try:
        account = session.client("sts").get_caller_identity()["Account"]
    except Exception as e:  # no credentials, no region, no network: all say the same
        sys.exit(f"cannot tell which account the credentials name (set AWS_PROFILE or credentials, and AWS_REGION): {e}")
    print(account, session.region_name)


# us-east-1 on-demand prices, December 2026 (https://aws.amazon.com/fargate/pricing/,
# https://aws.amazon.com/elasticloadbalancing/pricing/, https://aws.amazon.com/vpc/pricing/).
VCPU_HOUR, GB_HOUR, ALB_HOUR, NAT_HOUR, IPV4_HOUR = 0.04048, 0.004445, 0.0225 + 0.008, 0.045, 0.005
HOURS_PER_STACK = 0.5


def estimate(specs: list[str]) -> None:
    total = 0.0
    for path in specs:
        with open(path, encoding="utf-8") as f:
            spec = yaml.safe_load(f)
        services = (spec.get("services") or {}).values()
        # Up to twice the tasks while a rollout runs both revisions.
        tasks = sum(2 * (s.get("count", 1)) * (s.get("cpu", 256) / 1024 * VCPU_HOUR + s.get("memory", 512) / 1024 * GB_HOUR) for s in services)
        network = spec.get("network") or {}
        nats = {"none": 0, "single": 1, "per_az": network.get("azs", 2)}.get(network.get("nat", "single"), 1)
        albs = 1 if any(s.get("routes") for s in services) else 0
        hourly = tasks + albs * ALB_HOUR + nats * (NAT_HOUR + IPV4_HOUR)
        total += hourly * HOURS_PER_STACK
    print(f"about ${max(total, 0.01):.2f} (us-east-1 on-demand prices; each stack lives about {int(HOURS_PER_STACK * 60)} minutes, one at a time)")


def _stacks(run_id: str) -> list[str]:
    cfn = boto3.client("cloudformation")
    names = []
    for page in cfn.get_paginator("describe_stacks").paginate():
        for s in page["Stacks"]:
            tags = {t["Key"]: t["Value"] for t in s.get("Tags", [])}
            if s.get("ParentId") is None and TAG in tags and run_id in ("-", tags[TAG]):
                names.append(s["StackName"])
    return names


def _tagged(run_id: str) -> list[str]:
    tagging = boto3.client("resourcegroupstaggingapi")
    filters = [{"Key": TAG}] if run_id == "-" else [{"Key": TAG, "Values": [run_id]}]
    return [r["ResourceARN"] for p in tagging.get_paginator("get_resources").paginate(TagFilters=filters) for r in p["ResourceTagMappingList"]]


def _automated(arn: str) -> bool:
    """An automated RDS snapshot (`…:snapshot:rds:…`): RDS deletes it with its database's
    automated backups; the API refuses to."""
    return ":snapshot:rds:" in arn or ":cluster-snapshot:rds:" in arn


def _leftovers(run_id: str) -> list[str]:
    arns = [a for a in _tagged(run_id) if not _automated(a)]
    # A deleted NAT gateway stays listed (state `deleted`) for a while, as ecship's own checks know.
    gone = {n["NatGatewayId"] for n in boto3.client("ec2").describe_nat_gateways()["NatGateways"] if n["State"] == "deleted"}
    return [a for a in arns if a.rsplit("/", 1)[-1] not in gone]


def snapshots(run_id: str) -> None:
    """Delete the final snapshots `destroy --delete-data` took of the run's databases: kept on
    purpose for a user, billed storage for a test run."""
    rds = boto3.client("rds")
    for arn in _tagged(run_id):
        if _automated(arn):
            continue
        name = arn.rsplit(":", 1)[-1]
        if ":cluster-snapshot:" in arn:
            rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=name)
        elif ":snapshot:" in arn:
            rds.delete_db_snapshot(DBSnapshotIdentifier=name)
        else:
            continue
        print(f"sweep: deleted snapshot {name}")


def left(result_line: str) -> None:
    print(json.dumps(json.loads(result_line)["destroy"]["leftovers"]))


def main() -> None:
    cmd, args = sys.argv[1], sys.argv[2:]
    # The AWS SDKs read AWS_REGION; boto3 reads only AWS_DEFAULT_REGION.
    if os.environ.get("AWS_REGION"):
        os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])
    if cmd == "prepare":
        prepare(*args)
    elif cmd == "whoami":
        whoami()
    elif cmd == "estimate":
        estimate(args)
    elif cmd == "stacks":
        print("\n".join(_stacks(args[0])))
    elif cmd == "leftovers":
        print("\n".join(_leftovers(args[0])))
    elif cmd == "snapshots":
        snapshots(args[0])
    elif cmd == "responder":
        print(RESPONDER)
    elif cmd == "left":
        left(args[0])
    else:
        sys.exit(f"unknown command {cmd}")


main()
