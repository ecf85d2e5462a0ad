using System.Globalization;
using System.Text.Json;
using Lifeline.Hub.Client.Shipping;
using Serilog.Core;
using Serilog.Events;

namespace Lifeline.Serilog;

/// <summary>
/// A Serilog sink that ships every event to a Lifeline hub, with the same guarantees as the logging provider
/// (it shares its shipping core): batched, acknowledged, bounded, never blocking the application (docs/logging.md).
/// </summary>
/// <remarks>
/// Thread-safe. Disposing (Serilog does it in <c>Log.CloseAndFlush</c> or when the logger is disposed) flushes what
/// is buffered within <see cref="LogShippingOptions.ShutdownTimeout"/>.
/// </remarks>
public sealed class LifelineSink : ILogEventSink, IDisposable, IAsyncDisposable
{
    private const string SourceContext = "SourceContext";

    private readonly LogShipper _shipper;

    /// <summary>Creates the sink and starts shipping to <see cref="LogShippingOptions.Url"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="LogShippingOptions.Validate"/>).</exception>
    public LifelineSink(LogShippingOptions options)
        : this(Validated(options), static o => HubBatchPublisher.Create(o))
    {
    }

    internal LifelineSink(LogShippingOptions options, Func<LogShippingOptions, ILogBatchPublisher> publisherFactory)
    {
        _shipper = new LogShipper(options, publisherFactory(options));
    }

    internal LogShipper Shipper => _shipper;

    /// <inheritdoc />
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var props = PropertyBag.Rent();
        var source = "";
        string? message = null;
        try
        {
            message = logEvent.RenderMessage(CultureInfo.InvariantCulture);
            foreach (var (name, value) in logEvent.Properties)
            {
                if (name == SourceContext && value is ScalarValue { Value: string context })
                {
                    source = context;
                }
                else if (props.TryBeginProperty(name))
                {
                    Write(props.Writer, value, 0);
                }
            }

            props.Add("messageTemplate", logEvent.MessageTemplate.Text);
            if (logEvent.Exception is { } exception)
            {
                props.AddException(exception);
                if (message!.Length == 0)
                {
                    message = exception.Message;
                }
            }
        }
        catch (Exception ex)
        {
            // A throwing property must not fail the application's log call: ship what went wrong instead.
            message ??= $"<rendering the event threw {ex.GetType().Name}: {ex.Message}>";
            props = props.Restart(ex);
        }

        _shipper.Enqueue(new PendingEntry(logEvent.Timestamp.ToUniversalTime(), Map(logEvent.Level), source, message ?? "", props.Build()));
    }

    /// <summary>Flushes what is buffered (within the shutdown deadline) and stops. Idempotent.</summary>
    public ValueTask DisposeAsync() => _shipper.DisposeAsync();

    /// <summary>Like <see cref="DisposeAsync"/>, blocking the caller until the flush ends or its deadline passes.</summary>
    public void Dispose() => _shipper.DisposeAsync().AsTask().GetAwaiter().GetResult();

    internal static Lifeline.Protocol.LogEntryLevel Map(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => Lifeline.Protocol.LogEntryLevel.Trace,
        LogEventLevel.Debug => Lifeline.Protocol.LogEntryLevel.Debug,
        LogEventLevel.Information => Lifeline.Protocol.LogEntryLevel.Information,
        LogEventLevel.Warning => Lifeline.Protocol.LogEntryLevel.Warning,
        LogEventLevel.Error => Lifeline.Protocol.LogEntryLevel.Error,
        _ => Lifeline.Protocol.LogEntryLevel.Critical,
    };

    private static void Write(Utf8JsonWriter writer, LogEventPropertyValue value, int depth)
    {
        switch (value)
        {
            case ScalarValue scalar:
                PropertyBag.WriteValue(writer, scalar.Value, depth);
                break;
            case SequenceValue sequence when depth < PropertyBag.MaxDepth:
                writer.WriteStartArray();
                foreach (var item in sequence.Elements.Take(PropertyBag.MaxItems))
                {
                    Write(writer, item, depth + 1);
                }

                writer.WriteEndArray();
                break;
            case StructureValue structure when depth < PropertyBag.MaxDepth:
                writer.WriteStartObject();
                if (structure.TypeTag is { } tag)
                {
                    writer.WriteString("$type", tag);
                }

                foreach (var property in structure.Properties.Take(PropertyBag.MaxItems))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value, depth + 1);
                }

                writer.WriteEndObject();
                break;
            case DictionaryValue dictionary when depth < PropertyBag.MaxDepth:
                writer.WriteStartObject();
                foreach (var (key, item) in dictionary.Elements.Take(PropertyBag.MaxItems))
                {
                    writer.WritePropertyName(PropertyBag.SafeToString(key.Value ?? "null"));
                    Write(writer, item, depth + 1);
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteStringValue(value.ToString(null, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static LogShippingOptions Validated(LogShippingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
