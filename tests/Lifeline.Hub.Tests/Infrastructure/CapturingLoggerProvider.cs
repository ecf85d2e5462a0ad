using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Tests.Infrastructure;

/// <summary>Keeps every log line so tests can assert that bad input was logged.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, EventId Id, string Message)> Lines { get; } = new();

    /// <summary>Raised after each line is kept, with its text (tests wait on it instead of polling).</summary>
    public event Action<string>? LineAdded;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public bool Contains(string text) => Lines.Any(l => l.Message.Contains(text, StringComparison.OrdinalIgnoreCase));

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception) + (exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]");
            owner.Lines.Enqueue((logLevel, eventId, message));
            owner.LineAdded?.Invoke(message);
        }
    }
}
