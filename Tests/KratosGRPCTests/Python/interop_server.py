"""grpc.testing.TestService on Python grpcio, for running Kratos's gRPC client through the
interop cases.

Usage: interop_server.py STUBS_DIR
STUBS_DIR holds the Python modules `python3 -m grpc_tools.protoc` made of
Tests/KratosTestSupport/Protos/grpc/testing/{empty,messages,test}.proto. The server listens on
an ephemeral loopback port, prints the port as its first line of output and serves until it is
killed.

grpcio's server API shows neither the grpc-encoding header nor a message's compressed flag; to
check `expect_compressed` the server turns grpcio's own decompression off and inflates each
request itself: a gzip stream cannot be mistaken for a protobuf message, whose first byte is
never 0x1f (field 3 of wire type 7 does not exist).
"""
import gzip
import os
import sys
import time
from collections import namedtuple
from concurrent import futures

import grpc

# The generated modules live in the package grpc.testing, inside the installed grpc package's
# namespace: let that package find them in STUBS_DIR too.
grpc.__path__.append(os.path.join(sys.argv[1], "grpc"))

from grpc.testing import empty_pb2, messages_pb2  # noqa: E402

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"
CODES = {code.value[0]: code for code in grpc.StatusCode}


# A request message and whether it arrived compressed.
Received = namedtuple("Received", ["message", "compressed"])


def decoder(message_type):
    """A request deserializer that inflates gzip-compressed messages and says which were."""

    def decode(data):
        if data[:2] == b"\x1f\x8b":
            return Received(message_type.FromString(gzip.decompress(data)), True)
        return Received(message_type.FromString(data), False)

    return decode


def zeros(size):
    return messages_pb2.Payload(type=messages_pb2.COMPRESSABLE, body=bytes(size))


def echo_metadata(context):
    """Sends the request's echo keys back: one as initial metadata, one as a trailer."""
    received = dict(context.invocation_metadata())
    if ECHO_INITIAL in received:
        context.send_initial_metadata(((ECHO_INITIAL, received[ECHO_INITIAL]),))
    if ECHO_TRAILING in received:
        context.set_trailing_metadata(((ECHO_TRAILING, received[ECHO_TRAILING]),))


def end_with_requested_status(request, context):
    """Ends the call with the status the request asks for, if it asks for one."""
    if request.HasField("response_status") and request.response_status.code != 0:
        code = CODES.get(request.response_status.code, grpc.StatusCode.UNKNOWN)
        context.abort(code, request.response_status.message)


def check_compression(received, context):
    """Refuses a request that says it was compressed but was not."""
    if received.message.expect_compressed.value and not received.compressed:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the request was expected to arrive compressed")


def replies(request):
    """One reply per ResponseParameters, each after its interval."""
    for parameters in request.response_parameters:
        if parameters.interval_us > 0:
            time.sleep(parameters.interval_us / 1_000_000)
        yield messages_pb2.StreamingOutputCallResponse(payload=zeros(parameters.size))


def empty_call(received, context):
    echo_metadata(context)
    return empty_pb2.Empty()


def unary_call(received, context):
    request = received.message
    echo_metadata(context)
    check_compression(received, context)
    end_with_requested_status(request, context)
    if request.HasField("response_compressed"):
        context.set_compression(
            grpc.Compression.Gzip if request.response_compressed.value else grpc.Compression.NoCompression
        )
    return messages_pb2.SimpleResponse(payload=zeros(request.response_size))


def cacheable_unary_call(received, context):
    context.send_initial_metadata((("cache-control", "max-age=60"),))
    return messages_pb2.SimpleResponse(payload=messages_pb2.Payload(body=str(time.time_ns()).encode()))


def streaming_output_call(received, context):
    echo_metadata(context)
    end_with_requested_status(received.message, context)
    yield from replies(received.message)


def streaming_input_call(received_iterator, context):
    total = 0
    for received in received_iterator:
        check_compression(received, context)
        total += len(received.message.payload.body)
    return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)


def full_duplex_call(received_iterator, context):
    echo_metadata(context)
    for received in received_iterator:
        end_with_requested_status(received.message, context)
        yield from replies(received.message)


def half_duplex_call(received_iterator, context):
    echo_metadata(context)
    requests = [received.message for received in received_iterator]
    for request in requests:
        end_with_requested_status(request, context)
        yield from replies(request)


def unimplemented_call(received, context):
    context.abort(grpc.StatusCode.UNIMPLEMENTED, "UnimplementedCall is not implemented")


def handlers():
    """TestService's methods, with the decoding deserializers."""
    reply = lambda message_type: message_type.SerializeToString  # noqa: E731
    simple, streaming = messages_pb2.SimpleRequest, messages_pb2.StreamingOutputCallRequest
    return grpc.method_handlers_generic_handler(
        "grpc.testing.TestService",
        {
            "EmptyCall": grpc.unary_unary_rpc_method_handler(
                empty_call, decoder(empty_pb2.Empty), reply(empty_pb2.Empty)
            ),
            "UnaryCall": grpc.unary_unary_rpc_method_handler(
                unary_call, decoder(simple), reply(messages_pb2.SimpleResponse)
            ),
            "CacheableUnaryCall": grpc.unary_unary_rpc_method_handler(
                cacheable_unary_call, decoder(simple), reply(messages_pb2.SimpleResponse)
            ),
            "StreamingOutputCall": grpc.unary_stream_rpc_method_handler(
                streaming_output_call, decoder(streaming), reply(messages_pb2.StreamingOutputCallResponse)
            ),
            "StreamingInputCall": grpc.stream_unary_rpc_method_handler(
                streaming_input_call,
                decoder(messages_pb2.StreamingInputCallRequest),
                reply(messages_pb2.StreamingInputCallResponse),
            ),
            "FullDuplexCall": grpc.stream_stream_rpc_method_handler(
                full_duplex_call, decoder(streaming), reply(messages_pb2.StreamingOutputCallResponse)
            ),
            "HalfDuplexCall": grpc.stream_stream_rpc_method_handler(
                half_duplex_call, decoder(streaming), reply(messages_pb2.StreamingOutputCallResponse)
            ),
            "UnimplementedCall": grpc.unary_unary_rpc_method_handler(
                unimplemented_call, decoder(empty_pb2.Empty), reply(empty_pb2.Empty)
            ),
        },
    )


def main():
    # Requests reach the deserializers as they arrived, compressed or not.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=[("grpc.per_message_decompression", 0)])
    server.add_generic_rpc_handlers((handlers(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
