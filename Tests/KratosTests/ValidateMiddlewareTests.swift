import KratosTestSupport
import Testing
@testable import Kratos

/// Violations, the 400 `VALIDATOR` error they make, and the middleware that answers it.
@Suite struct ValidateMiddlewareTests {
    let context = RequestContext(kind: .grpc, endpoint: "grpc://127.0.0.1:1", operation: "/kratos.test.v1.Accounts/Register")

    static let invalid = Kratos_Test_V1_RegisterRequest.with {
        $0.name = ""
        $0.email = "not an email"
        $0.age = 200
    }

    @Test func violationsNestUnderTheirPath() {
        let violation = Violation(field: "name", rule: "string.min_len", message: "must be at least 1 characters")
        #expect(violation.nested(under: "items[2]").field == "items[2].name")
        #expect(Violation(field: "[3]", rule: "r", message: "m").nested(under: "list").field == "list[3]")
        #expect(Violation(field: "", rule: "message.oneof", message: "m").nested(under: "child").field == "child")
        #expect(violation.description == "name: must be at least 1 characters [string.min_len]")
    }

    @Test func theErrorNamesTheFirstViolationAndCarriesThemAll() throws {
        let violations = Self.invalid.validationViolations()
        #expect(violations.map(\.rule) == ["string.min_len", "string.email", "int32.gte_lte"])
        let error = KratosError.validator(violations)
        #expect(error.code == 400 && error.reason == "VALIDATOR" && error.grpcCode == .invalidArgument)
        #expect(error.message == "name: must be at least 1 characters [string.min_len] (and 2 more violations)")
        #expect(error.metadata.keys.sorted() == ["violations"])
        #expect(error.metadata["violations"]?.hasPrefix(#"[{"field":"name","rule":"string.min_len","message":"must be at least 1 characters"},"#) == true)
        #expect(error.violations == violations)
        #expect(KratosError.validator(Array(violations.prefix(2))).message.hasSuffix("(and 1 more violation)"))
        #expect(KratosError.badRequest("CODEC", "x").violations.isEmpty)
        #expect(throws: Never.self) { try Kratos_Test_V1_RegisterRequest.with { $0.name = "ann"; $0.email = "a@b.co"; $0.age = 20 }.validate() }
        #expect { try Self.invalid.validate() } throws: { ($0 as? KratosError)?.violations == violations }
    }

    @Test func theMiddlewareRejectsBeforeTheHandler() async throws {
        let handler = MiddlewareChain(ValidateMiddleware()).wrap { request, _ in request }
        await #expect {
            _ = try await handler(Self.invalid, context)
        } throws: { error in
            let error = error as? KratosError
            return error?.reason == "VALIDATOR" && error?.violations.count == 3
        }
        let valid = Kratos_Test_V1_RegisterRequest.with { $0.name = "ann"; $0.email = "a@b.co"; $0.age = 20 }
        #expect(try await handler(valid, context) as? Kratos_Test_V1_RegisterRequest == valid)
        // A message without rules, and anything else, passes through.
        #expect(try await handler(Kratos_Test_V1_Plain(), context) is Kratos_Test_V1_Plain)
        #expect(try await handler("text", context) as? String == "text")
    }
}
