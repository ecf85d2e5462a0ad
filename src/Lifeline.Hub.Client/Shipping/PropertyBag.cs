using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace Lifeline.Hub.Client.Shipping;

/// <summary>
/// Builds the <c>props</c> JSON object of one entry from structured values, on the logging thread, so that the
/// values are captured as they are at the call (a mutable object logged and then changed is shipped as it was).
/// </summary>
/// <remarks>
/// Not thread-safe: one bag per thread, reused through <see cref="Rent"/>/<see cref="Build"/>. The first value added
/// under a name wins. Values become JSON primitives where they are one (strings, numbers, booleans, null), objects for
/// key/value sequences (any <c>KeyValuePair</c> sequence or dictionary; keys as invariant text), arrays for other sequences (at most <see cref="MaxDepth"/> deep and <see cref="MaxItems"/> items),
/// and their invariant-culture text otherwise.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Lives for the thread that owns it; the writer holds only managed memory.")]
internal sealed class PropertyBag
{
    /// <summary>Deepest nesting of sequences written; deeper values are written as text.</summary>
    internal const int MaxDepth = 4;

    /// <summary>Most items written per sequence; the rest are left out.</summary>
    internal const int MaxItems = 100;

    /// <summary>Per type: how to write its key/value pairs as an object (<see langword="null"/>: not a pair sequence).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Action<Utf8JsonWriter, IEnumerable, int>?> PairsWriters = new();

    [ThreadStatic]
    private static PropertyBag? t_cached;

    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _writer;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<string> _scopes = [];

    private PropertyBag()
    {
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>The writer, positioned after a property name that <see cref="TryBeginProperty"/> accepted.</summary>
    public Utf8JsonWriter Writer => _writer;

    /// <summary>Takes this thread's bag (or a new one), empty and ready.</summary>
    public static PropertyBag Rent()
    {
        var bag = t_cached ?? new PropertyBag();
        t_cached = null;
        bag._writer.WriteStartObject();
        return bag;
    }

    /// <summary>Writes the name of a new property; <see langword="false"/> (nothing written) if the name was already added.</summary>
    public bool TryBeginProperty(string name)
    {
        if (!_names.Add(name))
        {
            return false;
        }

        _writer.WritePropertyName(name);
        return true;
    }

    /// <summary>Adds a property unless one of that name exists.</summary>
    public void Add(string name, object? value)
    {
        if (TryBeginProperty(name))
        {
            WriteValue(_writer, value, 0);
        }
    }

    /// <summary>Adds <c>exception</c> (its full text with stack trace) and <c>exceptionType</c>.</summary>
    public void AddException(Exception exception)
    {
        Add("exceptionType", exception.GetType().FullName);
        Add("exception", exception.ToString());
    }

    /// <summary>
    /// Adds a logging scope: a key/value scope adds its pairs as properties; any other scope is collected, as text,
    /// into a <c>scopes</c> array (outermost first).
    /// </summary>
    public void AddScope(object? scope)
    {
        if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            foreach (var (name, value) in pairs)
            {
                Add(name, value);
            }
        }
        else if (scope is not null)
        {
            _scopes.Add(SafeToString(scope));
        }
    }

    /// <summary>
    /// Throws away what was written (after a value threw half-way through) and returns a fresh bag holding only
    /// <c>loggingError</c>: the text of <paramref name="error"/>.
    /// </summary>
    public PropertyBag Restart(Exception error)
    {
        _writer.Reset();
        _buffer.ResetWrittenCount();
        _names.Clear();
        _scopes.Clear();
        _writer.WriteStartObject();
        Add("loggingError", error.ToString());
        return this;
    }

    /// <summary>Ends the object and returns its UTF-8 JSON, or <see langword="null"/> when nothing was added; the bag goes back to this thread.</summary>
    public byte[]? Build()
    {
        if (_scopes.Count > 0 && TryBeginProperty("scopes"))
        {
            WriteArray(_writer, _scopes, MaxDepth);
        }

        byte[]? result = null;
        if (_names.Count > 0)
        {
            _writer.WriteEndObject();
            _writer.Flush();
            result = _buffer.WrittenSpan.ToArray();
        }

        _writer.Reset();
        _buffer.ResetWrittenCount();
        _names.Clear();
        _scopes.Clear();
        t_cached = this;
        return result;
    }

    /// <summary>Writes a CLR value as JSON (see the type's remarks for the mapping).</summary>
    public static void WriteValue(Utf8JsonWriter writer, object? value, int depth)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int or long or short or sbyte or byte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong ul:
                writer.WriteNumberValue(ul);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case float f when float.IsFinite(f):
                writer.WriteNumberValue(f);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case DateTimeOffset dto:
                writer.WriteStringValue(dto);
                break;
            case DateTime dt:
                writer.WriteStringValue(dt);
                break;
            case Guid g:
                writer.WriteStringValue(g);
                break;
            case Enum e:
                writer.WriteStringValue(e.ToString());
                break;
            case IEnumerable<KeyValuePair<string, object?>> pairs when depth < MaxDepth:
                WriteObject(writer, pairs, depth + 1);
                break;
            case IEnumerable sequence and not IFormattable when depth < MaxDepth:
                if (PairsWriter(sequence.GetType()) is { } writePairs)
                {
                    writePairs(writer, sequence, depth + 1);
                }
                else if (sequence is IDictionary dictionary)
                {
                    WriteDictionary(writer, dictionary, depth + 1);
                }
                else
                {
                    WriteArray(writer, sequence, depth + 1);
                }

                break;
            case IFormattable formattable:
                writer.WriteStringValue(SafeToString(formattable));
                break;
            default:
                writer.WriteStringValue(SafeToString(value));
                break;
        }
    }

    private static void WriteObject(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, object?>> pairs, int depth)
    {
        writer.WriteStartObject();
        var count = 0;
        foreach (var (name, item) in pairs)
        {
            if (count++ == MaxItems)
            {
                break;
            }

            writer.WritePropertyName(name);
            WriteValue(writer, item, depth);
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// The writer of <paramref name="type"/>'s key/value pairs as one JSON object, or <see langword="null"/> when it is
    /// not a sequence of <see cref="KeyValuePair{TKey, TValue}"/>. Only pairs of <c>object?</c> values match the
    /// <c>IEnumerable&lt;KeyValuePair&lt;string, object?&gt;&gt;</c> case (a struct's type arguments are not variant), so
    /// a <c>Dictionary&lt;string,int&gt;</c> was written as an array of "[a, 1]" texts (issue 11). Made once per type.
    /// </summary>
    private static Action<Utf8JsonWriter, IEnumerable, int>? PairsWriter(Type type) => PairsWriters.GetOrAdd(type, static t =>
    {
        var pairs = t.GetInterfaces().FirstOrDefault(static i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            && i.GetGenericArguments()[0] is { IsGenericType: true } item && item.GetGenericTypeDefinition() == typeof(KeyValuePair<,>));
        return pairs is null
            ? null
            : typeof(PropertyBag).GetMethod(nameof(WritePairs), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(pairs.GetGenericArguments()[0].GetGenericArguments())
                .CreateDelegate<Action<Utf8JsonWriter, IEnumerable, int>>();
    });

    private static void WritePairs<TKey, TValue>(Utf8JsonWriter writer, IEnumerable sequence, int depth)
    {
        writer.WriteStartObject();
        var count = 0;
        foreach (var (key, item) in (IEnumerable<KeyValuePair<TKey, TValue>>)sequence)
        {
            if (count++ == MaxItems)
            {
                break;
            }

            writer.WritePropertyName(KeyText(key));
            WriteValue(writer, item, depth);
        }

        writer.WriteEndObject();
    }

    private static void WriteDictionary(Utf8JsonWriter writer, IDictionary dictionary, int depth)
    {
        writer.WriteStartObject();
        var count = 0;
        foreach (DictionaryEntry entry in dictionary)
        {
            if (count++ == MaxItems)
            {
                break;
            }

            writer.WritePropertyName(KeyText(entry.Key));
            WriteValue(writer, entry.Value, depth);
        }

        writer.WriteEndObject();
    }

    /// <summary>A key as a property name: strings as they are, other keys as their invariant-culture text.</summary>
    private static string KeyText(object? key) => key switch
    {
        null => "",
        string s => s,
        _ => SafeToString(key),
    };

    private static void WriteArray(Utf8JsonWriter writer, IEnumerable sequence, int depth)
    {
        writer.WriteStartArray();
        var count = 0;
        foreach (var item in sequence)
        {
            if (count++ == MaxItems)
            {
                break;
            }

            WriteValue(writer, item, depth);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// A value's text (invariant culture when it is <see cref="IFormattable"/>); a throwing <c>ToString</c> is shipped as
    /// its exception type rather than failing the log call or losing the call's other values.
    /// </summary>
    internal static string SafeToString(object value)
    {
        try
        {
            return (value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value.ToString()) ?? "";
        }
        catch (Exception ex)
        {
            return $"<{value.GetType().Name}.ToString() threw {ex.GetType().Name}>";
        }
    }
}
