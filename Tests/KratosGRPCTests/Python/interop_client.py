"""A grpcio client running the gRPC interop test cases against a grpc.testing.TestService.

Usage: interop_client.py STUBS_DIR HOST:PORT [case ...]
STUBS_DIR holds the Python modules `python3 -m grpc_tools.protoc` made of
Tests/KratosTestSupport/Protos/grpc/testing/{empty,messages,test}.proto. Runs the named cases
(all of CASES by default), each as the public interop test descriptions lay it out, and prints
one JSON object, case → "ok" or "failed: <why>". Exits 0 only if every case passed.

What grpcio's client API cannot check: the compressed flag of a reply message, so
server_compressed_unary checks the replies only.
"""
import json
import os
import queue
import sys
import threading

import grpc

# The generated modules live in the package grpc.testing, inside the installed grpc package's
# namespace: let that package find them in STUBS_DIR too.
grpc.__path__.append(os.path.join(sys.argv[1], "grpc"))

from grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc  # noqa: E402

CASES = [
    "empty_unary",
    "large_unary",
    "client_compressed_unary",
    "server_compressed_unary",
    "client_streaming",
    "server_streaming",
    "ping_pong",
    "empty_stream",
    "timeout_on_sleeping_server",
    "cancel_after_begin",
    "cancel_after_first_response",
    "custom_metadata",
    "status_code_and_message",
    "special_status_message",
    "unimplemented_method",
    "unimplemented_service",
]

# Seconds any one call may take before the case counts as hung.
TIMEOUT = 20
ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"
ECHO_TRAILING_VALUE = b"\xab\xab\xab"
STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


class CaseFailure(Exception):
    pass


def check(condition, why):
    if not condition:
        raise CaseFailure(why)


def zeros(size):
    return messages_pb2.Payload(type=messages_pb2.COMPRESSABLE, body=bytes(size))


def check_payload(payload, size, what="reply"):
    check(len(payload.body) == size, f"{what} payload is {len(payload.body)} bytes, not {size}")
    check(payload.body == bytes(size), f"{what} payload is not all zeros")


def expect_status(code, call, *args, **kwargs):
    """Makes the call, which must fail with `code`; returns the error."""
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        check(error.code() == code, f"status {error.code()} ({error.details()!r}), not {code}")
        return error
    raise CaseFailure(f"the call succeeded, not {code}")


def streaming_request(response_sizes, payload_size=None, status=None):
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=size) for size in response_sizes]
    )
    if payload_size is not None:
        request.payload.CopyFrom(zeros(payload_size))
    if status is not None:
        request.response_status.CopyFrom(status)
    return request


class Pipe:
    """Request messages a test writes while the call reads them (an iterator for grpcio)."""

    _END = object()

    def __init__(self):
        self._queue = queue.Queue()

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is Pipe._END:
            raise StopIteration
        return item

    def write(self, message):
        self._queue.put(message)

    def close(self):
        self._queue.put(Pipe._END)


class Cases:
    def __init__(self, channel):
        self.stub = test_pb2_grpc.TestServiceStub(channel)
        self.unimplemented = test_pb2_grpc.UnimplementedServiceStub(channel)

    def empty_unary(self):
        reply = self.stub.EmptyCall(empty_pb2.Empty(), timeout=TIMEOUT)
        check(isinstance(reply, empty_pb2.Empty), f"reply is {type(reply).__name__}")

    def large_unary(self):
        request = messages_pb2.SimpleRequest(response_size=314159, payload=zeros(271828))
        reply = self.stub.UnaryCall(request, timeout=TIMEOUT)
        check_payload(reply.payload, 314159)

    def client_compressed_unary(self):
        def request(expect_compressed):
            return messages_pb2.SimpleRequest(
                expect_compressed=messages_pb2.BoolValue(value=expect_compressed),
                response_size=314159,
                payload=zeros(271828),
            )

        # The probe: an uncompressed request that says it is compressed is refused.
        expect_status(grpc.StatusCode.INVALID_ARGUMENT, self.stub.UnaryCall, request(True), timeout=TIMEOUT)
        compressed = self.stub.UnaryCall(request(True), timeout=TIMEOUT, compression=grpc.Compression.Gzip)
        check_payload(compressed.payload, 314159, "compressed request's reply")
        plain = self.stub.UnaryCall(request(False), timeout=TIMEOUT)
        check_payload(plain.payload, 314159, "uncompressed request's reply")

    def server_compressed_unary(self):
        for compressed in (True, False):
            request = messages_pb2.SimpleRequest(
                response_compressed=messages_pb2.BoolValue(value=compressed),
                response_size=314159,
                payload=zeros(271828),
            )
            reply = self.stub.UnaryCall(request, timeout=TIMEOUT)
            check_payload(reply.payload, 314159, f"response_compressed={compressed} reply")

    def client_streaming(self):
        sizes = [27182, 8, 1828, 45904]
        requests = (messages_pb2.StreamingInputCallRequest(payload=zeros(size)) for size in sizes)
        reply = self.stub.StreamingInputCall(requests, timeout=TIMEOUT)
        check(reply.aggregated_payload_size == 74922, f"aggregated_payload_size is {reply.aggregated_payload_size}")

    def server_streaming(self):
        sizes = [31415, 9, 2653, 58979]
        replies = list(self.stub.StreamingOutputCall(streaming_request(sizes), timeout=TIMEOUT))
        got = [len(reply.payload.body) for reply in replies]
        check(got == sizes, f"reply sizes {got}, not {sizes}")
        for reply, size in zip(replies, sizes):
            check_payload(reply.payload, size)

    def ping_pong(self):
        exchanges = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]
        pipe = Pipe()
        call = self.stub.FullDuplexCall(pipe, timeout=TIMEOUT)
        try:
            for response_size, payload_size in exchanges:
                pipe.write(streaming_request([response_size], payload_size))
                reply = next(call)
                check_payload(reply.payload, response_size)
            pipe.close()
            extra = list(call)
            check(not extra, f"{len(extra)} replies after the last exchange")
        finally:
            pipe.close()
            call.cancel()
        check(call.code() == grpc.StatusCode.OK, f"status {call.code()}")

    def empty_stream(self):
        replies = list(self.stub.FullDuplexCall(iter([]), timeout=TIMEOUT))
        check(not replies, f"{len(replies)} replies, not none")

    def timeout_on_sleeping_server(self):
        pipe = Pipe()
        call = self.stub.FullDuplexCall(pipe, timeout=0.001)
        pipe.write(streaming_request([], 27182))
        try:
            expect_status(grpc.StatusCode.DEADLINE_EXCEEDED, lambda: list(call))
        finally:
            pipe.close()

    def cancel_after_begin(self):
        pipe = Pipe()
        future = self.stub.StreamingInputCall.future(pipe, timeout=TIMEOUT)
        future.cancel()
        pipe.close()
        check(future.cancelled(), "the call did not end cancelled")
        check(future.code() == grpc.StatusCode.CANCELLED, f"status {future.code()}, not CANCELLED")

    def cancel_after_first_response(self):
        pipe = Pipe()
        call = self.stub.FullDuplexCall(pipe, timeout=TIMEOUT)
        try:
            pipe.write(streaming_request([31415], 27182))
            check_payload(next(call).payload, 31415)
            call.cancel()
            expect_status(grpc.StatusCode.CANCELLED, lambda: list(call))
        finally:
            pipe.close()

    def custom_metadata(self):
        metadata = ((ECHO_INITIAL, ECHO_INITIAL_VALUE), (ECHO_TRAILING, ECHO_TRAILING_VALUE))
        failures = []

        def check_echo(step, call):
            initial = dict(call.initial_metadata() or ())
            trailing = dict(call.trailing_metadata() or ())
            if initial.get(ECHO_INITIAL) != ECHO_INITIAL_VALUE:
                where = "the trailers" if ECHO_INITIAL in trailing else "nowhere"
                failures.append(f"{step}: {ECHO_INITIAL} not in the initial metadata (found in {where})")
            if trailing.get(ECHO_TRAILING) != ECHO_TRAILING_VALUE:
                where = "the initial metadata" if ECHO_TRAILING in initial else "nowhere"
                failures.append(f"{step}: {ECHO_TRAILING} not in the trailers (found in {where})")

        request = messages_pb2.SimpleRequest(response_size=314159, payload=zeros(271828))
        reply, call = self.stub.UnaryCall.with_call(request, metadata=metadata, timeout=TIMEOUT)
        check_payload(reply.payload, 314159)
        check_echo("UnaryCall", call)

        call = self.stub.FullDuplexCall(iter([streaming_request([314159], 271828)]), metadata=metadata, timeout=TIMEOUT)
        replies = list(call)
        check(len(replies) == 1, f"FullDuplexCall: {len(replies)} replies, not 1")
        check_payload(replies[0].payload, 314159)
        check_echo("FullDuplexCall", call)
        check(not failures, "; ".join(failures))

    def _status_cases(self, message):
        status = messages_pb2.EchoStatus(code=2, message=message)
        error = expect_status(
            grpc.StatusCode.UNKNOWN, self.stub.UnaryCall, messages_pb2.SimpleRequest(response_status=status), timeout=TIMEOUT
        )
        check(error.details() == message, f"UnaryCall: message {error.details()!r}, not {message!r}")
        return status

    def status_code_and_message(self):
        status = self._status_cases(STATUS_MESSAGE)
        call = self.stub.FullDuplexCall(iter([streaming_request([], status=status)]), timeout=TIMEOUT)
        error = expect_status(grpc.StatusCode.UNKNOWN, lambda: list(call))
        check(error.details() == STATUS_MESSAGE, f"FullDuplexCall: message {error.details()!r}, not {STATUS_MESSAGE!r}")

    def special_status_message(self):
        self._status_cases(SPECIAL_STATUS_MESSAGE)

    def unimplemented_method(self):
        expect_status(grpc.StatusCode.UNIMPLEMENTED, self.stub.UnimplementedCall, empty_pb2.Empty(), timeout=TIMEOUT)

    def unimplemented_service(self):
        expect_status(
            grpc.StatusCode.UNIMPLEMENTED, self.unimplemented.UnimplementedCall, empty_pb2.Empty(), timeout=TIMEOUT
        )


def run(case, cases):
    """Runs one case on its own thread, so one that hangs is reported rather than waited for."""
    outcome = {}

    def body():
        try:
            getattr(cases, case)()
            outcome["result"] = "ok"
        except CaseFailure as failure:
            outcome["result"] = f"failed: {failure}"
        except grpc.RpcError as error:
            outcome["result"] = f"failed: unexpected status {error.code()} ({error.details()!r})"
        except Exception as error:  # noqa: BLE001 - any surprise fails the case, not the run
            outcome["result"] = f"failed: {type(error).__name__}: {error}"

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(TIMEOUT * 3)
    return outcome.get("result", "failed: did not finish in time")


def main():
    names = sys.argv[3:] or CASES
    unknown = [name for name in names if name not in CASES]
    if unknown:
        sys.exit(f"unknown cases: {', '.join(unknown)}; known: {', '.join(CASES)}")
    results = {}
    with grpc.insecure_channel(sys.argv[2]) as channel:
        cases = Cases(channel)
        for name in names:
            results[name] = run(name, cases)
    print(json.dumps(results, ensure_ascii=False))
    sys.stdout.flush()
    # A case that hung leaves its thread behind: leave without waiting for it.
    os._exit(0 if all(result == "ok" for result in results.values()) else 1)


if __name__ == "__main__":
    main()
