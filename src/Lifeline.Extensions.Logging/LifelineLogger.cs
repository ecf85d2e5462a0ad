using Lifeline.Hub.Client.Shipping;
using Microsoft.Extensions.Logging;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Lifeline.Extensions.Logging;

/// <summary>
/// One category's logger: maps each call to a hub entry on the calling thread and hands it to the shipper.
/// Thread-safe; a call never blocks on the network and never throws.
/// </summary>
internal sealed class LifelineLogger(string category, LifelineLoggerProvider provider) : ILogger
{
    /// <summary>The property that <c>LoggerMessage</c> and the extension methods use for the message template.</summary>
    private const string OriginalFormat = "{OriginalFormat}";

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => provider.ScopeProvider?.Push(state);

    public bool IsEnabled(MelLogLevel logLevel) => logLevel != MelLogLevel.None;

    public void Log<TState>(MelLogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        // The message is formatted apart from the properties: a value whose ToString throws fails the formatter, and
        // must not cost the call's other values and its template (issue 11); those are written with SafeToString.
        string message;
        Exception? formatFailure = null;
        try
        {
            message = formatter(state, exception) ?? "";
        }
        catch (Exception ex)
        {
            formatFailure = ex;
            message = "";
        }

        var props = PropertyBag.Rent();
        string? template = null;
        try
        {
            // The call's own state comes first, so it wins over a scope value of the same name.
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    var (name, value) = values[i];
                    if (name == OriginalFormat)
                    {
                        template = value as string;
                    }

                    props.Add(name == OriginalFormat ? "messageTemplate" : name, value);
                }
            }

            if (eventId.Id != 0)
            {
                props.Add("eventId", eventId.Id);
            }

            if (eventId.Name is not null)
            {
                props.Add("eventName", eventId.Name);
            }

            if (exception is not null)
            {
                props.AddException(exception);
            }

            if (provider.IncludeScopes && provider.ScopeProvider is { } scopes)
            {
                scopes.ForEachScope(static (scope, bag) => bag.AddScope(scope), props);
            }

            if (formatFailure is not null)
            {
                props.Add("loggingError", formatFailure.ToString());
            }
        }
        catch (Exception ex)
        {
            // A value that throws half-way through (an enumeration) leaves half-written JSON: ship what went wrong instead.
            props = props.Restart(ex);
        }

        if (formatFailure is not null)
        {
            var note = $"<formatting the log message threw {formatFailure.GetType().Name}: {formatFailure.Message}>";
            message = template is null ? note : $"{template} {note}";
        }
        else if (message.Length == 0 && exception is not null)
        {
            message = exception.Message;
        }

        provider.Shipper.Enqueue(new PendingEntry(provider.TimeProvider.GetUtcNow(), (Lifeline.Protocol.LogEntryLevel)logLevel, category, message, props.Build()));
    }
}
