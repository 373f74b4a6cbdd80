"""An independent gRPC client (Python grpcio) of kratos.test.v1.Greeter, calling with JWTs in
the `authorization` metadata.

Usage: jwt_client.py STUBS_DIR HOST:PORT CASES_FILE
CASES_FILE holds {label: {"method": "SayHello" | "Spell" | "Health", "authorization": str | null}}.
Prints {label: {"code" and "status" (the trailers' grpc-status, by name and number), "reason" (of
the google.rpc.ErrorInfo in the trailers' grpc-status-details-bin), "message", "reply"}}.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from grpc_status import rpc_status  # noqa: E402
from kratos.test.v1 import greeter_pb2_grpc, test_pb2  # noqa: E402

with open(sys.argv[3]) as handle:
    cases = json.load(handle)

results = {}
with grpc.insecure_channel(sys.argv[2]) as channel:
    greeter = greeter_pb2_grpc.GreeterStub(channel)
    health = health_pb2_grpc.HealthStub(channel)
    for label, case in cases.items():
        metadata = [("authorization", case["authorization"])] if case.get("authorization") else []
        try:
            if case["method"] == "SayHello":
                reply = greeter.SayHello(test_pb2.HelloRequest(name="py"), metadata=metadata, timeout=10).message
            elif case["method"] == "Spell":
                reply = "".join(r.message for r in greeter.Spell(test_pb2.HelloRequest(name="py"), metadata=metadata, timeout=10))
            else:
                check = health.Check(health_pb2.HealthCheckRequest(service=""), metadata=metadata, timeout=10)
                reply = health_pb2.HealthCheckResponse.ServingStatus.Name(check.status)
            results[label] = {"code": "OK", "reply": reply}
        except grpc.RpcError as error:
            trailers = dict(error.trailing_metadata() or ())
            status = rpc_status.from_call(error)
            info = error_details_pb2.ErrorInfo()
            infos = [d for d in status.details if d.Unpack(info)] if status else []
            results[label] = {
                "code": error.code().name,
                "status": error.code().value[0],
                "details_in_trailers": "grpc-status-details-bin" in trailers,
                "reason": info.reason if infos else None,
                "message": error.details(),
            }

print(json.dumps(results))
