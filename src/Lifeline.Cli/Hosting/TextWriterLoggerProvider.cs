using Microsoft.Extensions.Logging;

namespace Lifeline.Cli.Hosting;

/// <summary>
/// Hub log lines to standard error, one line each (<c>warn: Category: message</c>). Thread-safe: writes are serialized.
/// While <see cref="Hold"/> is in effect lines are kept instead of written; <see cref="Release"/> writes or drops them,
/// so a start that fails ends with the command's one-line error instead of the host's lines about the same failure.
/// </summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer) : ILoggerProvider
{
    private readonly Lock _lock = new();
    private List<string>? _held; // under _lock; not null while held

    /// <summary>Keeps every line from now on until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _held ??= [];
        }
    }

    /// <summary>Writes the held lines when <paramref name="write"/> is true, else drops them; lines are written as they come again.</summary>
    public void Release(bool write)
    {
        lock (_lock)
        {
            if (write && _held is not null)
            {
                foreach (var line in _held)
                {
                    writer.WriteLine(line);
                }
            }

            _held = null;
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            if (_held is not null)
            {
                _held.Add(line);
                return;
            }

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
