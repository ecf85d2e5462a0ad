using System.Buffers;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Lifeline.Cli.Hub;

namespace Lifeline.Cli.Commands;

/// <summary>
/// Reads lines into batches on one task and publishes them on another, through a bounded channel: memory stays
/// within <see cref="LogSenderOptions.ReadAhead"/> + 2 batches however large the input, because reading waits for
/// the hub. Each batch carries its own Idempotency-Key, so a retry after a lost answer is stored once.
/// </summary>
internal sealed partial class LogSender(HubHttpClient http, LogSenderOptions options, CliEnvironment environment)
{
    private sealed record Batch(int Number, byte[] Body, int[] Lines);

    public async Task<int> RunAsync(TextReader input, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(options.ReadAhead) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = ReadBatchesAsync(input, channel.Writer, stop.Token);
        var summary = new AckSummary();
        var progress = new SendProgress(environment, options.ProgressInterval);
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                var ack = await PublishWithRetriesAsync(batch, summary, stop.Token).ConfigureAwait(false);
                summary.Add(ack);
                await progress.ReportAsync(summary.Entries, final: false).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await progress.ReportAsync(summary.Entries, final: true).ConfigureAwait(false);
            await environment.Out.WriteLineAsync($"interrupted: {summary}").ConfigureAwait(false);
            return 130;
        }
        catch (Exception)
        {
            // Say exactly what was stored before the one-line error (CliApp prints it).
            await progress.ReportAsync(summary.Entries, final: true).ConfigureAwait(false);
            if (summary.Entries > 0)
            {
                await environment.Out.WriteLineAsync(summary.ToString()).ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await progress.ReportAsync(summary.Entries, final: true).ConfigureAwait(false);
        await environment.Out.WriteLineAsync(summary.ToString()).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task ReadBatchesAsync(TextReader input, ChannelWriter<Batch> writer, CancellationToken cancellationToken)
    {
        // Runs concurrently with publishing from its first await on.
        await Task.Yield();
        Exception? error = null;
        var body = new ArrayBufferWriter<byte>(64 * 1024);
        var lines = new List<int>();
        var number = 0;
        try
        {
            var lineNumber = 0;
            while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                try
                {
                    AppendEntry(body, line, lineNumber);
                }
                catch (CliException)
                {
                    // Everything before the bad line is still sent; nothing after it is.
                    await FlushAsync().ConfigureAwait(false);
                    throw;
                }

                lines.Add(lineNumber);
                if (lines.Count >= options.BatchSize || body.WrittenCount >= options.MaxBatchBytes)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
            }

            await FlushAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            error = exception;
        }
        finally
        {
            writer.TryComplete(error);
        }

        async Task FlushAsync()
        {
            if (lines.Count > 0)
            {
                await writer.WriteAsync(new Batch(++number, body.WrittenSpan.ToArray(), [.. lines]), cancellationToken).ConfigureAwait(false);
                body.ResetWrittenCount();
                lines.Clear();
            }
        }
    }

    private void AppendEntry(ArrayBufferWriter<byte> body, string line, int lineNumber)
    {
        if (options.Ndjson)
        {
            try
            {
                using var entry = JsonDocument.Parse(line);
                if (entry.RootElement.ValueKind != JsonValueKind.Object || !entry.RootElement.TryGetProperty("message", out var text) || text.ValueKind != JsonValueKind.String)
                {
                    throw new CliException($"line {lineNumber}: an entry must be a JSON object with a string \"message\"");
                }
            }
            catch (JsonException exception)
            {
                throw new CliException($"line {lineNumber}: not valid JSON ({exception.Message})");
            }

            body.Write(System.Text.Encoding.UTF8.GetBytes(line.Trim()));
        }
        else
        {
            using var json = new Utf8JsonWriter(body);
            json.WriteStartObject();
            json.WriteString("level", options.Level);
            json.WriteString("source", options.Source);
            json.WriteString("message", line);
            json.WriteEndObject();
        }

        body.Write("\n"u8);
    }

    private async Task<PublishAck> PublishWithRetriesAsync(Batch batch, AckSummary summary, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await http.PublishAsync(batch.Body, $"{options.ClientId}/{batch.Number}", cancellationToken).ConfigureAwait(false);
            }
            catch (HubRequestException rejected) when (rejected.Status == HttpStatusCode.BadRequest && rejected.Error?.Index is { } index && index >= 0 && index < batch.Lines.Length)
            {
                throw new CliException($"the hub rejected line {batch.Lines[index]}: {rejected.Error.Message}; nothing from line {batch.Lines[0]} on was stored");
            }
            catch (Exception exception) when (attempt < options.MaxAttempts && IsTransient(exception, cancellationToken) && !(summary.Entries == 0 && IsRefused(exception)))
            {
                var delay = options.Backoff.GetBackoffDelay(attempt);
                var (reason, _) = CliErrors.Describe(exception, http.Endpoint, hint: false);
                await environment.Error.WriteLineAsync($"lifeline: batch {batch.Number} not acknowledged ({reason}); retrying in {delay.TotalSeconds:0.00} s (attempt {attempt + 1}/{options.MaxAttempts})").ConfigureAwait(false);
                await Task.Delay(delay, environment.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HubRequestException hub => hub.IsTransient,
        CliException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // the request timed out
        HttpRequestException or IOException => true,
        _ => false,
    };

    /// <summary>Nothing was ever acknowledged and nobody listens there: a wrong URL, not an outage; fail at once.</summary>
    private static bool IsRefused(Exception exception) =>
        exception is HttpRequestException { InnerException: System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } };
}
