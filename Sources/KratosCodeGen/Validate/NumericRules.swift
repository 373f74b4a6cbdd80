/// Each numeric type's rules message read into ``RangeRules`` (they share a shape, not a type).


extension Buf_Validate_FloatRules {
    var range: RangeRules<Float> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_DoubleRules {
    var range: RangeRules<Double> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_Int32Rules {
    var range: RangeRules<Int32> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_Int64Rules {
    var range: RangeRules<Int64> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_UInt32Rules {
    var range: RangeRules<UInt32> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_UInt64Rules {
    var range: RangeRules<UInt64> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_SInt32Rules {
    var range: RangeRules<Int32> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_SInt64Rules {
    var range: RangeRules<Int64> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_Fixed32Rules {
    var range: RangeRules<UInt32> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_Fixed64Rules {
    var range: RangeRules<UInt64> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_SFixed32Rules {
    var range: RangeRules<Int32> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}

extension Buf_Validate_SFixed64Rules {
    var range: RangeRules<Int64> {
        RangeRules(const: hasConst ? const : nil,
                   below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: v); case .lte(let v): .init(inclusive: true, value: v) } },
                   above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: v); case .gte(let v): .init(inclusive: true, value: v) } },
                   in: `in`, notIn: notIn)
    }
}
