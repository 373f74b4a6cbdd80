import KratosCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(KratosMain.run(Array(CommandLine.arguments.dropFirst())))
