import Testing
import KratosMCP
