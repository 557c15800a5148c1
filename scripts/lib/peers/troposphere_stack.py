"""The stack scripts/bench generates for `ecship render`, written with troposphere: N services
behind one load balancer in a 3-zone VPC with a NAT gateway per zone, each with its security
group, target group (two for a canary), path rule (weighted for a canary), task role allowing
nothing, and a secret read by the execution role. Prints the template as JSON.
Usage: python troposphere_stack.py 100 > template.json
"""

import sys

from troposphere import GetAtt, GetAZs, Output, Ref, Select, Sub, Template, ec2, ecs, elasticloadbalancingv2 as elb, iam, logs

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
t = Template(Description="bench")
vpc = t.add_resource(ec2.VPC("Vpc", CidrBlock="10.0.0.0/16", EnableDnsHostnames=True, EnableDnsSupport=True))
igw = t.add_resource(ec2.InternetGateway("InternetGateway"))
t.add_resource(ec2.VPCGatewayAttachment("InternetGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(igw)))
public_table = t.add_resource(ec2.RouteTable("PublicRouteTable", VpcId=Ref(vpc)))
t.add_resource(ec2.Route("PublicDefaultRoute", RouteTableId=Ref(public_table), DestinationCidrBlock="0.0.0.0/0", GatewayId=Ref(igw)))
public, private = [], []
for z in range(3):
    az = Select(z, GetAZs(""))
    pub = t.add_resource(ec2.Subnet(f"PublicSubnet{z + 1}", VpcId=Ref(vpc), CidrBlock=f"10.0.{z * 32}.0/19", AvailabilityZone=az, MapPublicIpOnLaunch=True))
    t.add_resource(ec2.SubnetRouteTableAssociation(f"PublicSubnet{z + 1}Association", SubnetId=Ref(pub), RouteTableId=Ref(public_table)))
    eip = t.add_resource(ec2.EIP(f"NatEip{z + 1}", Domain="vpc"))
    nat = t.add_resource(ec2.NatGateway(f"NatGateway{z + 1}", AllocationId=GetAtt(eip, "AllocationId"), SubnetId=Ref(pub)))
    priv = t.add_resource(ec2.Subnet(f"PrivateSubnet{z + 1}", VpcId=Ref(vpc), CidrBlock=f"10.0.{128 + z * 32}.0/19", AvailabilityZone=az))
    table = t.add_resource(ec2.RouteTable(f"PrivateRouteTable{z + 1}", VpcId=Ref(vpc)))
    t.add_resource(ec2.Route(f"PrivateDefaultRoute{z + 1}", RouteTableId=Ref(table), DestinationCidrBlock="0.0.0.0/0", NatGatewayId=Ref(nat)))
    t.add_resource(ec2.SubnetRouteTableAssociation(f"PrivateSubnet{z + 1}Association", SubnetId=Ref(priv), RouteTableId=Ref(table)))
    public.append(Ref(pub))
    private.append(Ref(priv))
t.add_resource(ecs.Cluster("Cluster", ClusterName="bench"))
t.add_resource(logs.LogGroup("LogGroup", LogGroupName="/ecship/bench", RetentionInDays=30))
lb_sg = t.add_resource(ec2.SecurityGroup("LoadBalancerSecurityGroup", GroupDescription="load balancer", VpcId=Ref(vpc),
                                         SecurityGroupIngress=[ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0")]))
lb = t.add_resource(elb.LoadBalancer("LoadBalancer", Scheme="internet-facing", Subnets=public, SecurityGroups=[GetAtt(lb_sg, "GroupId")]))
listener = t.add_resource(elb.Listener("HttpListener", LoadBalancerArn=Ref(lb), Port=80, Protocol="HTTP", DefaultActions=[elb.Action(
    Type="fixed-response", FixedResponseConfig=elb.FixedResponseConfig(StatusCode="404", ContentType="text/plain", MessageBody="No route matches this request."))]))
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
parameters = []
for i in range(1, n + 1):
    name = f"svc-{i}"
    t.add_resource(ec2.SecurityGroup(f"Svc{i}SecurityGroup", GroupDescription=name, VpcId=Ref(vpc), SecurityGroupIngress=[
        ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=8080, ToPort=8080, SourceSecurityGroupId=GetAtt(lb_sg, "GroupId"))]))
    t.add_resource(iam.Role(f"Svc{i}TaskRole", AssumeRolePolicyDocument=trust))
    groups = [t.add_resource(elb.TargetGroup(f"Svc{i}TargetGroup{k}", VpcId=Ref(vpc), Port=8080, Protocol="HTTP", TargetType="ip",
                                             HealthCheckPath="/health", HealthCheckIntervalSeconds=15)) for k in range(2 if i % 2 == 0 else 1)]
    weights = [100, 0]
    action = elb.ListenerRuleAction(Type="forward", ForwardConfig=elb.ForwardConfig(TargetGroups=[
        elb.TargetGroupTuple(TargetGroupArn=Ref(g), Weight=weights[k]) for k, g in enumerate(groups)]))
    t.add_resource(elb.ListenerRule(f"Svc{i}Rule", ListenerArn=Ref(listener), Priority=10000 + i, Actions=[action],
                                    Conditions=[elb.Condition(Field="path-pattern", Values=[f"/{name}/*"])]))
    t.add_output(Output(f"Svc{i}", Value=Ref(groups[0])))
    parameters.append(Sub(f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/bench/{name}/db-url"))
t.add_resource(iam.Role("ExecutionRole", AssumeRolePolicyDocument=trust, Policies=[iam.Policy(PolicyName="start-tasks", PolicyDocument={
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": parameters}]})]))
print(t.to_json())
