using System.Text.Json;
using Lifeline.Protocol;

namespace Lifeline.Hub.Client.Shipping;

/// <summary>
/// An entry as the application's thread hands it to the shipper: its properties still as the UTF-8 JSON object that
/// <see cref="PropertyBag"/> wrote. Turning them into a <see cref="JsonElement"/> (a parse) happens on the shipping
/// loop, off the application's thread.
/// </summary>
/// <param name="Timestamp">When it was logged.</param>
/// <param name="Level">Severity.</param>
/// <param name="Source">Who logged it.</param>
/// <param name="Message">The text.</param>
/// <param name="Properties">A JSON object, or <see langword="null"/>.</param>
internal readonly record struct PendingEntry(DateTimeOffset Timestamp, LogEntryLevel Level, string Source, string Message, byte[]? Properties)
{
    /// <summary>The entry as the protocol carries it.</summary>
    public LogEntry ToLogEntry()
    {
        JsonElement? properties = null;
        if (Properties is { } json)
        {
            try
            {
                var reader = new Utf8JsonReader(json);
                properties = JsonElement.ParseValue(ref reader);
            }
            catch (JsonException)
            {
                // Cannot happen for what PropertyBag writes; if it did, the entry still ships, without its properties,
                // rather than stopping the shipping loop.
                properties = null;
            }
        }

        return new LogEntry { Timestamp = Timestamp, Level = Level, Source = Source, Message = Message, Properties = properties };
    }
}
