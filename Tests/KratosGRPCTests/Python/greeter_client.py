"""An independent gRPC client (Python grpcio) of kratos.test.v1.Greeter.

Usage: greeter_client.py STUBS_DIR HOST:PORT
Prints one JSON object describing what the server answered.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from google.protobuf.descriptor_pool import DescriptorPool  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (  # noqa: E402
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status  # noqa: E402
from kratos.test.v1 import greeter_pb2_grpc, test_pb2  # noqa: E402

result = {}
with grpc.insecure_channel(sys.argv[2]) as channel:
    greeter = greeter_pb2_grpc.GreeterStub(channel)
    result["hello"] = greeter.SayHello(test_pb2.HelloRequest(name="kratos"), timeout=5).message
    result["spell"] = [r.message for r in greeter.Spell(test_pb2.HelloRequest(name="py"), timeout=5)]

    try:
        greeter.SayHello(test_pb2.HelloRequest(name="missing"), timeout=5)
    except grpc.RpcError as error:
        status = rpc_status.from_call(error)
        info = error_details_pb2.ErrorInfo()
        infos = [d for d in status.details if d.Unpack(info)] if status else []
        result["error"] = {
            "code": error.code().name,
            "message": error.details(),
            "reason": info.reason if infos else None,
            "metadata": dict(info.metadata) if infos else None,
        }

    try:
        greeter.SayHello(test_pb2.HelloRequest(name="slow"), timeout=0.3)
    except grpc.RpcError as error:
        result["deadline"] = error.code().name

    health = health_pb2_grpc.HealthStub(channel)
    check = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    result["health"] = health_pb2.HealthCheckResponse.ServingStatus.Name(check.status)

    # Server reflection: list the services, then resolve a method and its types from the server.
    database = ProtoReflectionDescriptorDatabase(channel)
    method = DescriptorPool(database).FindMethodByName("kratos.test.v1.Greeter.SayHello")
    result["reflection"] = {
        "services": sorted(database.get_services()),
        "input": method.input_type.full_name,
        "fields": [f.name for f in method.output_type.fields],
    }

print(json.dumps(result))
