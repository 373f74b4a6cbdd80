import KratosCodeGen

// protoc plugin: `protoc --kratos-http_out=DIR [--kratos-http_opt=Visibility=Public] x.proto`
HTTPGenerator.main()
