import KratosCodeGen

// protoc plugin: `protoc --kratos-grpc_out=DIR [--kratos-grpc_opt=Visibility=Public] x.proto`
GRPCGenerator.main()
