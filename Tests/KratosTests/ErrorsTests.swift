import Testing
@testable import Kratos

@Suite struct ErrorsTests {
    @Test(arguments: [
        (200, GRPCStatusCode.ok), (400, .invalidArgument), (401, .unauthenticated), (403, .permissionDenied),
        (404, .notFound), (409, .aborted), (429, .resourceExhausted), (499, .cancelled), (500, .internal),
        (501, .unimplemented), (503, .unavailable), (504, .deadlineExceeded), (418, .unknown), (302, .unknown),
    ])
    func httpToGRPC(status: Int, code: GRPCStatusCode) {
        #expect(GRPCStatusCode(httpStatus: status) == code)
        #expect(KratosError(code: status, reason: "", message: "").grpcCode == code)
    }

    @Test(arguments: [
        (GRPCStatusCode.ok, 200), (.cancelled, 499), (.unknown, 500), (.internal, 500), (.dataLoss, 500),
        (.invalidArgument, 400), (.outOfRange, 400), (.failedPrecondition, 412), (.deadlineExceeded, 504),
        (.notFound, 404), (.alreadyExists, 409), (.aborted, 409), (.permissionDenied, 403),
        (.unauthenticated, 401), (.resourceExhausted, 429), (.unimplemented, 501), (.unavailable, 503),
    ])
    func grpcToHTTP(code: GRPCStatusCode, status: Int) {
        #expect(code.httpStatus == status)
    }

    @Test func everyGRPCCodeHasAnHTTPStatus() {
        #expect(Set(GRPCStatusCode.allCases.map(\.httpStatus)).isSubset(of: [200, 400, 401, 403, 404, 409, 412, 429, 499, 500, 501, 503, 504]))
    }

    @Test(arguments: [
        (KratosError.badRequest("R", "m"), 400), (.unauthorized("R", "m"), 401), (.forbidden("R", "m"), 403),
        (.notFound("R", "m"), 404), (.conflict("R", "m"), 409), (.tooManyRequests("R", "m"), 429),
        (.clientClosed("R", "m"), 499), (.internalServer("R", "m"), 500), (.serviceUnavailable("R", "m"), 503),
        (.gatewayTimeout("R", "m"), 504),
    ])
    func constructors(error: KratosError, code: Int) {
        #expect(error.code == code)
        #expect(error.reason == "R" && error.message == "m")
    }

    @Test func comparisonIsByCodeAndReason() {
        let notFound = KratosError.notFound("USER_NOT_FOUND", "user 1 not found").with(metadata: ["id": "1"])
        #expect(notFound.is(.notFound("USER_NOT_FOUND", "other message")))
        #expect(!notFound.is(.notFound("BOOK_NOT_FOUND", "user 1 not found")))
        #expect(!notFound.is(.badRequest("USER_NOT_FOUND", "user 1 not found")))
        let thrown: any Error = notFound
        #expect(thrown.is(.notFound("USER_NOT_FOUND", "")))
        struct Plain: Error {}
        #expect(!(Plain() as any Error).is(.internalServer("", "")))
    }

    @Test func plainErrorsBecome500WithoutTheirText() {
        struct Secret: Error, CustomStringConvertible { var description: String { "password=hunter2" } }
        let error = KratosError(Secret())
        #expect(error.code == 500 && error.reason == "")
        #expect(!error.message.contains("hunter2"))
        #expect(error.cause is Secret)
    }

    @Test func convertibleErrorsKeepTheirMapping() {
        struct Missing: KratosErrorConvertible {
            var kratosError: KratosError { .notFound("MISSING", "gone") }
        }
        #expect(KratosError(Missing()).is(.notFound("MISSING", "")))
    }
}
