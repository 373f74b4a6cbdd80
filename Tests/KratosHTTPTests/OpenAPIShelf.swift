import Kratos
import KratosTestSupport

/// Every kind of HTTP rule (library.proto's Shelf) for schemathesis: each RPC answers from what
/// it was given, so the replies carry what the requests bound.
struct OpenAPIShelf: Kratos_Test_V1_ShelfService {
    func getBook(_ request: Kratos_Test_V1_GetBookRequest, context: RequestContext) async throws -> Kratos_Test_V1_Book {
        .with { $0.id = request.name; $0.title = request.view; $0.pages = request.version }
    }

    func listBooks(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_ListBooksReply {
        .with { $0.shelf = request.shelf; $0.pageSize = request.pageSize; $0.tags = request.tags }
    }

    func createBook(_ request: Kratos_Test_V1_CreateBookRequest, context: RequestContext) async throws -> Kratos_Test_V1_Book { request.book }
    func updateBook(_ request: Kratos_Test_V1_UpdateBookRequest, context: RequestContext) async throws -> Kratos_Test_V1_Book { request.book }

    func deleteBook(_ request: Kratos_Test_V1_GetBookRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .with { $0.message = request.name }
    }

    func putBook(_ request: Kratos_Test_V1_Book, context: RequestContext) async throws -> Kratos_Test_V1_Book { request }

    func publishBook(_ request: Kratos_Test_V1_PublishRequest, context: RequestContext) async throws -> Kratos_Test_V1_PublishReply {
        .with { $0.book = .with { $0.id = request.id } }
    }

    func listTitles(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_TitlesReply { titles(request) }
    func countBooks(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_TitlesReply { titles(request) }
    func countByTag(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_TitlesReply { titles(request) }
    func shelfName(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_TitlesReply { titles(request) }

    private func titles(_ request: Kratos_Test_V1_ListBooksRequest) -> Kratos_Test_V1_TitlesReply {
        .with {
            $0.titles = request.tags
            $0.total = Int64(request.pageSize) * 1_000_000
            $0.counts = Dictionary(request.tags.map { ($0, Int32(1)) }, uniquingKeysWith: +)
            $0.shelfName = request.shelf
        }
    }

    func ping(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .with { $0.message = request.name }
    }

    func watch(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {}
}
