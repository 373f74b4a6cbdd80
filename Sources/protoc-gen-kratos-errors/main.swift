import KratosCodeGen

// protoc plugin: `protoc --kratos-errors_out=DIR [--kratos-errors_opt=Visibility=Public] x.proto`
ErrorsGenerator.main()
