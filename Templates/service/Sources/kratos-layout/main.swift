import KratosLayoutKit

// kratos-layout: greets the name given as the first argument.
let name = CommandLine.arguments.dropFirst().first ?? "kratos"
print(Greeter().sayHello(name))
