/// The OpenAPI document of the API (`openapi.yaml`, written by `kratos proto client api --openapi`),
/// built into the code: the HTTP server serves it with a Swagger UI page.
public enum OpenAPIDocument {
    public static var yaml: String { String(decoding: PackageResources.openapi_yaml, as: UTF8.self) }
}
