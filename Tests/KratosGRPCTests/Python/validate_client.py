"""An independent gRPC client (Python grpcio) of kratos.test.v1.Accounts: one Register that
breaks the request's validation rules, then a valid one.

Usage: validate_client.py STUBS_DIR HOST:PORT
Prints one JSON object describing what the server answered.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402
from kratos.test.v1 import accounts_pb2, accounts_pb2_grpc  # noqa: E402

result = {}
with grpc.insecure_channel(sys.argv[2]) as channel:
    accounts = accounts_pb2_grpc.AccountsStub(channel)
    invalid = accounts_pb2.RegisterRequest(name="", email="nope", age=5, tags=["a", "", "b", "c"])
    try:
        accounts.Register(invalid, timeout=5)
        result["invalid"] = "accepted"
    except grpc.RpcError as error:
        status = rpc_status.from_call(error)
        info = error_details_pb2.ErrorInfo()
        infos = [d for d in status.details if d.Unpack(info)] if status else []
        result["invalid"] = {
            "code": error.code().name,
            "message": error.details(),
            "reason": info.reason if infos else None,
            "metadata": dict(info.metadata) if infos else None,
        }
    valid = accounts_pb2.RegisterRequest(name="ann", email="ann@example.com", age=30, tags=["x"])
    result["valid"] = accounts.Register(valid, timeout=5).id

print(json.dumps(result))
