"""Checks for the emulator's patches (tests/emulator/server.py) against a running server.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import json
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        port = free_port()
        cls.url = f"http://127.0.0.1:{port}"
        cls.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py"), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{cls.url}/moto-api/config", timeout=1)
                break
            except OSError:
                if cls.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"emulator did not start: {cls.proc.stderr.read().decode() if cls.proc.stderr else ''}")
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proc.terminate()
        cls.proc.wait(timeout=10)

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")

    def test_http_namespace_is_created_reported_and_deleted(self) -> None:
        template = {
            "Resources": {"Ns": {"Type": "AWS::ServiceDiscovery::HttpNamespace", "Properties": {"Name": "demo.internal", "Description": "d"}}},
            "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Ns", "Arn"]}}, "Id": {"Value": {"Ref": "Ns"}}},
        }
        cfn, sd = self.client("cloudformation"), self.client("servicediscovery")
        cfn.create_stack(StackName="ns", TemplateBody=json.dumps(template))
        stack = cfn.describe_stacks(StackName="ns")["Stacks"][0]
        self.assertEqual(stack["StackStatus"], "CREATE_COMPLETE")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        namespaces = sd.list_namespaces()["Namespaces"]
        self.assertEqual([(n["Name"], n["Type"]) for n in namespaces], [("demo.internal", "HTTP")])
        self.assertEqual(outputs, {"Arn": namespaces[0]["Arn"], "Id": namespaces[0]["Id"]})
        cfn.delete_stack(StackName="ns")
        self.assertEqual(sd.list_namespaces()["Namespaces"], [])


if __name__ == "__main__":
    unittest.main()
