// The stack scripts/bench generates for `ecship render`, written with the AWS CDK as a CDK
// user would: N services behind one load balancer in a 3-zone VPC with a NAT gateway per
// zone, each with its security group, target group (two for a canary), path rule (weighted
// for a canary), task role allowing nothing, and a secret read by the execution role.
// Usage (in a directory with this file and cdk.context.json): SERVICES=100 cdk synth --app "node cdk-app.js"
const cdk = require("aws-cdk-lib");
const ec2 = require("aws-cdk-lib/aws-ec2");
const ecs = require("aws-cdk-lib/aws-ecs");
const elbv2 = require("aws-cdk-lib/aws-elasticloadbalancingv2");
const iam = require("aws-cdk-lib/aws-iam");
const logs = require("aws-cdk-lib/aws-logs");

const n = Number(process.env.SERVICES || "100");
const app = new cdk.App();
const stack = new cdk.Stack(app, "bench", { env: { account: "123456789012", region: "us-east-1" } });
// The zones come from cdk.context.json, as a CDK project commits them.
const vpc = new ec2.Vpc(stack, "Vpc", { ipAddresses: ec2.IpAddresses.cidr("10.0.0.0/16"), maxAzs: 3, natGateways: 3 });
new ecs.Cluster(stack, "Cluster", { vpc, clusterName: "bench" });
new logs.LogGroup(stack, "LogGroup", { logGroupName: "/ecship/bench", retention: logs.RetentionDays.ONE_MONTH });
const lb = new elbv2.ApplicationLoadBalancer(stack, "LoadBalancer", { vpc, internetFacing: true });
const listener = lb.addListener("HttpListener", {
  port: 80,
  defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: "text/plain", messageBody: "No route matches this request." }),
});
const execution = new iam.Role(stack, "ExecutionRole", { assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com") });
for (let i = 1; i <= n; i++) {
  const name = `svc-${i}`;
  const sg = new ec2.SecurityGroup(stack, `Svc${i}SecurityGroup`, { vpc, allowAllOutbound: true });
  sg.addIngressRule(ec2.Peer.securityGroupId(lb.connections.securityGroups[0].securityGroupId), ec2.Port.tcp(8080));
  new iam.Role(stack, `Svc${i}TaskRole`, { assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com") });
  const group = () =>
    new elbv2.ApplicationTargetGroup(stack, `Svc${i}TargetGroup${group.count = (group.count || 0) + 1}`, {
      vpc, port: 8080, protocol: elbv2.ApplicationProtocol.HTTP, targetType: elbv2.TargetType.IP,
      healthCheck: { path: "/health", interval: cdk.Duration.seconds(15) },
    });
  const canary = i % 2 === 0;
  const action = canary
    ? elbv2.ListenerAction.weightedForward([{ targetGroup: group(), weight: 100 }, { targetGroup: group(), weight: 0 }])
    : elbv2.ListenerAction.forward([group()]);
  new elbv2.ApplicationListenerRule(stack, `Svc${i}Rule`, {
    listener, priority: 10000 + i, conditions: [elbv2.ListenerCondition.pathPatterns([`/${name}/*`])], action,
  });
  execution.addToPolicy(new iam.PolicyStatement({
    actions: ["ssm:GetParameters"], resources: [`arn:aws:ssm:us-east-1:123456789012:parameter/bench/${name}/db-url`],
  }));
}
app.synth();
