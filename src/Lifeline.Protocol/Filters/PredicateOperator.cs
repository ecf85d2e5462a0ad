namespace Lifeline.Protocol;

/// <summary>The comparison of a <see cref="PropertyPredicate"/> (docs/protocol.md, "Property predicates").</summary>
public enum PredicateOperator
{
    /// <summary><c>=</c>: the property has the value's type and is equal to it (numbers compare numerically).</summary>
    Equal,

    /// <summary><c>!=</c>: the property is present and not <see cref="Equal"/> to the value.</summary>
    NotEqual,

    /// <summary><c>&lt;</c>: numbers numerically, strings ordinally.</summary>
    Less,

    /// <summary><c>&lt;=</c>.</summary>
    LessOrEqual,

    /// <summary><c>&gt;</c>.</summary>
    Greater,

    /// <summary><c>&gt;=</c>.</summary>
    GreaterOrEqual,

    /// <summary><c>contains</c>: the property is a string containing the value, case-insensitively.</summary>
    Contains,
}
