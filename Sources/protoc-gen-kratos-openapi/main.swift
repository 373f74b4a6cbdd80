import KratosCodeGen

// protoc plugin: `protoc --kratos-openapi_out=DIR [--kratos-openapi_opt=Format=json] a.proto b.proto`
// writes DIR/openapi.yaml (or openapi.json): one OpenAPI 3.1 document for all the files.
OpenAPIGenerator.main()
