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

        var props = PropertyBag.Rent();
        string? message = null;
        try
        {
            message = formatter(state, exception) ?? "";

            // The call's own state comes first, so it wins over a scope value of the same name.
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    var (name, value) = values[i];
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
                if (message!.Length == 0)
                {
                    message = exception.Message;
                }
            }

            if (provider.IncludeScopes && provider.ScopeProvider is { } scopes)
            {
                scopes.ForEachScope(static (scope, bag) => bag.AddScope(scope), props);
            }
        }
        catch (Exception ex)
        {
            // A throwing formatter or property must not fail the application's log call: ship what went wrong instead.
            message ??= $"<formatting the log message threw {ex.GetType().Name}: {ex.Message}>";
            props = props.Restart(ex);
        }

        provider.Shipper.Enqueue(new PendingEntry(provider.TimeProvider.GetUtcNow(), (Lifeline.Protocol.LogEntryLevel)logLevel, category, message ?? "", props.Build()));
    }
}
