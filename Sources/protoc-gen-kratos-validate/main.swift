import KratosCodeGen

// protoc plugin: `protoc --kratos-validate_out=DIR [--kratos-validate_opt=Visibility=Public] x.proto`
ValidateGenerator.main()
