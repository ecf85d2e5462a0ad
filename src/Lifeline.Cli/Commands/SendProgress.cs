namespace Lifeline.Cli.Commands;

/// <summary>
/// Progress of a long send on standard error: count and rate, at most once per interval (checked when a batch is
/// acknowledged, so no timer runs). On a terminal the line is rewritten in place.
/// </summary>
internal sealed class SendProgress(CliEnvironment environment, TimeSpan? interval)
{
    private readonly TimeSpan _interval = interval ?? (environment.ErrorIsTerminal ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5));
    private readonly DateTimeOffset _start = environment.Time.GetUtcNow();
    private DateTimeOffset _last = environment.Time.GetUtcNow();
    private bool _shown;

    public async Task ReportAsync(long entries, bool final)
    {
        var now = environment.Time.GetUtcNow();
        if (!final && now - _last < _interval)
        {
            return;
        }

        if (final && !_shown)
        {
            return; // a short send shows only its summary
        }

        _last = now;
        _shown = true;
        var seconds = Math.Max((now - _start).TotalSeconds, 0.001);
        var text = $"lifeline: sent {entries:N0} entries in {seconds:0.0} s ({entries / seconds:N0} entries/s)";
        if (environment.ErrorIsTerminal)
        {
            await environment.Error.WriteAsync($"\r{text}{(final ? Environment.NewLine : string.Empty)}").ConfigureAwait(false);
        }
        else
        {
            await environment.Error.WriteLineAsync(text).ConfigureAwait(false);
        }
    }
}
