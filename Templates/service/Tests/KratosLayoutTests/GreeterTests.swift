import Testing
@testable import KratosLayoutKit

@Test func greetsByName() {
    #expect(Greeter().sayHello("kratos") == "Hello kratos")
    #expect(Greeter().sayHello("") == "Hello world")
}
