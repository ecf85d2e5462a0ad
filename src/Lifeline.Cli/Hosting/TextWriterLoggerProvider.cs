using Microsoft.Extensions.Logging;

namespace Lifeline.Cli.Hosting;

/// <summary>Hub log lines to standard error, one line each (<c>warn: Category: message</c>). Thread-safe: writes are serialized.</summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer) : ILoggerProvider
{
    private readonly Lock _lock = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            writer.WriteLine(line);
        }
    }

    private sealed class Logger(TextWriterLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var level = logLevel switch
            {
                LogLevel.Trace => "trce",
                LogLevel.Debug => "dbug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                _ => "crit",
            };
            var detail = exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})";
            owner.Write($"{level}: {category}: {formatter(state, exception)}{detail}");
        }
    }
}
