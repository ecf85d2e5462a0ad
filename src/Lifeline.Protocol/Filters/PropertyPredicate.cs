using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>
/// A condition on an entry's <c>props</c>, such as <c>ms &gt; 1000</c>, <c>status = 500</c> or <c>user = "x"</c>
/// (docs/protocol.md, "Property predicates"): a property path, an operator and a JSON literal. An entry without the
/// property (or whose value on the path is not an object) matches no predicate, <c>!=</c> included.
/// </summary>
/// <remarks>Immutable and thread-safe. Two predicates are equal when their canonical texts (<see cref="ToString"/>) are.</remarks>
public sealed class PropertyPredicate : IEquatable<PropertyPredicate>
{
    /// <summary>The longest predicate text the hub accepts, in characters.</summary>
    public const int MaxLength = 1024;

    private readonly string _text;

    private PropertyPredicate(string[] path, PredicateOperator op, JsonElement value)
    {
        Path = path;
        Operator = op;
        Value = value;
        _text = $"{string.Join('.', path.Select(FormatName))} {OperatorText(op)} {value.GetRawText()}";
    }

    /// <summary>The property's path inside <c>props</c>: one name per level of nesting.</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>The comparison.</summary>
    public PredicateOperator Operator { get; }

    /// <summary>The literal compared with: a JSON number, string, <c>true</c>, <c>false</c> or <c>null</c>.</summary>
    public JsonElement Value { get; }

    /// <summary>Parses one predicate, such as <c>ms &gt; 1000</c>.</summary>
    /// <exception cref="ProtocolException">The text is not a predicate (<see cref="ErrorCodes.InvalidFilter"/>).</exception>
    public static PropertyPredicate Parse(string text) =>
        TryParse(text, out var predicate, out var error) ? predicate : throw new ProtocolException(ErrorCodes.InvalidFilter, error);

    /// <summary>Parses one predicate; <see langword="false"/> with a message naming the fault in <paramref name="error"/>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PropertyPredicate? predicate, [NotNullWhen(false)] out string? error)
    {
        predicate = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "expected a predicate such as 'ms > 1000', got nothing";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"a predicate is at most {MaxLength} characters";
            return false;
        }

        var at = SkipSpace(text, 0);
        var path = new List<string>();
        while (true)
        {
            if (!TryReadName(text, ref at, out var name, out error))
            {
                return false;
            }

            path.Add(name);
            if (at < text.Length && text[at] == '.')
            {
                at++;
                continue;
            }

            break;
        }

        at = SkipSpace(text, at);
        if (!TryReadOperator(text, ref at, out var op))
        {
            error = $"'{text}': expected an operator (=, !=, <, <=, >, >=, contains) after '{text[..at].TrimEnd()}'";
            return false;
        }

        var literal = text[at..].Trim();
        if (!TryReadValue(literal, out var value))
        {
            error = literal.Length == 0
                ? $"'{text}': expected a value after the operator"
                : $"'{text}': the value {literal} is not a number, a \"quoted string\", true, false or null";
            return false;
        }

        var kind = value.ValueKind;
        if (kind == JsonValueKind.Number && !value.TryGetDouble(out _))
        {
            error = $"'{text}': the number {literal} is out of range";
            return false;
        }

        var ordering = op is PredicateOperator.Less or PredicateOperator.LessOrEqual or PredicateOperator.Greater or PredicateOperator.GreaterOrEqual;
        if (op == PredicateOperator.Contains && kind != JsonValueKind.String)
        {
            error = $"'{text}': contains takes a \"quoted string\"";
            return false;
        }

        if (ordering && kind is not (JsonValueKind.Number or JsonValueKind.String))
        {
            error = $"'{text}': {OperatorText(op)} compares numbers or strings, not {literal}";
            return false;
        }

        predicate = new PropertyPredicate([.. path], op, value);
        error = null;
        return true;
    }

    /// <summary>Whether <paramref name="properties"/> (an entry's <c>props</c>) satisfies the predicate.</summary>
    public bool Matches(JsonElement? properties)
    {
        if (properties is not { ValueKind: JsonValueKind.Object } current)
        {
            return false;
        }

        foreach (var name in Path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return false;
            }
        }

        if (Operator == PredicateOperator.NotEqual)
        {
            return !Compare(current, PredicateOperator.Equal);
        }

        return Compare(current, Operator);
    }

    private bool Compare(JsonElement actual, PredicateOperator op)
    {
        int order;
        switch (Value.ValueKind)
        {
            // TryGetDouble: a number no double represents compares with nothing, and never throws on the hub's paths.
            case JsonValueKind.Number when actual.ValueKind == JsonValueKind.Number && actual.TryGetDouble(out var number):
                order = number.CompareTo(Value.GetDouble());
                break;
            case JsonValueKind.String when actual.ValueKind == JsonValueKind.String:
                var text = actual.GetString()!;
                var wanted = Value.GetString()!;
                if (op == PredicateOperator.Contains)
                {
                    return text.Contains(wanted, StringComparison.OrdinalIgnoreCase);
                }

                order = string.CompareOrdinal(text, wanted);
                break;
            case JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null:
                return op == PredicateOperator.Equal && actual.ValueKind == Value.ValueKind;
            default:
                return false;
        }

        return op switch
        {
            PredicateOperator.Equal => order == 0,
            PredicateOperator.Less => order < 0,
            PredicateOperator.LessOrEqual => order <= 0,
            PredicateOperator.Greater => order > 0,
            PredicateOperator.GreaterOrEqual => order >= 0,
            _ => false,
        };
    }

    private static int SkipSpace(string text, int at)
    {
        while (at < text.Length && char.IsWhiteSpace(text[at]))
        {
            at++;
        }

        return at;
    }

    private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-' or '@' or '$';

    /// <summary>A bare name (letters, digits, <c>_ - @ $</c>) or a JSON string for any other name.</summary>
    private static bool TryReadName(string text, ref int at, [NotNullWhen(true)] out string? name, [NotNullWhen(false)] out string? error)
    {
        name = null;
        var start = at;
        if (at < text.Length && text[at] == '"')
        {
            at++;
            while (at < text.Length && text[at] != '"')
            {
                at += text[at] == '\\' ? 2 : 1;
            }

            if (at >= text.Length || !TryReadValue(text[start..++at], out var quoted) || quoted.ValueKind != JsonValueKind.String)
            {
                error = $"'{text}': unterminated or invalid quoted property name at position {start}";
                return false;
            }

            name = quoted.GetString()!;
            error = null;
            return true;
        }

        while (at < text.Length && IsNameChar(text[at]))
        {
            at++;
        }

        if (at == start)
        {
            error = $"'{text}': expected a property name at position {start} (letters, digits, _ - @ $, or a \"quoted name\")";
            return false;
        }

        name = text[start..at];
        error = null;
        return true;
    }

    private static bool TryReadOperator(string text, ref int at, out PredicateOperator op)
    {
        var rest = text.AsSpan(at);
        (op, var length) = rest switch
        {
            _ when rest.StartsWith("!=") => (PredicateOperator.NotEqual, 2),
            _ when rest.StartsWith("<=") => (PredicateOperator.LessOrEqual, 2),
            _ when rest.StartsWith(">=") => (PredicateOperator.GreaterOrEqual, 2),
            _ when rest.StartsWith("==") => (PredicateOperator.Equal, 2),
            _ when rest.StartsWith("=") => (PredicateOperator.Equal, 1),
            _ when rest.StartsWith("<") => (PredicateOperator.Less, 1),
            _ when rest.StartsWith(">") => (PredicateOperator.Greater, 1),
            _ when rest.StartsWith("contains", StringComparison.OrdinalIgnoreCase)
                && (rest.Length == 8 || char.IsWhiteSpace(rest[8]) || rest[8] == '"') => (PredicateOperator.Contains, 8),
            _ => (PredicateOperator.Equal, 0),
        };
        at += length;
        return length > 0;
    }

    private static bool TryReadValue(string literal, out JsonElement value)
    {
        value = default;
        if (literal.Length == 0)
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(literal);
            if (doc.RootElement.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                return false;
            }

            value = doc.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string FormatName(string name) =>
        name.Length > 0 && name.All(IsNameChar) ? name : Encoding.UTF8.GetString(JsonEncoding.Encode(name, static (w, n) => w.WriteStringValue(n)));

    private static string OperatorText(PredicateOperator op) => op switch
    {
        PredicateOperator.Equal => "=",
        PredicateOperator.NotEqual => "!=",
        PredicateOperator.Less => "<",
        PredicateOperator.LessOrEqual => "<=",
        PredicateOperator.Greater => ">",
        PredicateOperator.GreaterOrEqual => ">=",
        _ => "contains",
    };

    /// <inheritdoc />
    public bool Equals(PropertyPredicate? other) => other is not null && string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PropertyPredicate);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_text);

    /// <summary>The canonical text: <c>path op literal</c>, which <see cref="Parse"/> reads back to an equal predicate.</summary>
    public override string ToString() => _text;
}
