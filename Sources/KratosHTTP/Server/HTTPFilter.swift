/// Raw HTTP middleware around routing (go-kratos's filters): sees every request, including
/// those answered 404 or 405.
public protocol HTTPFilter: Sendable {
    func handle(_ request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse
}
