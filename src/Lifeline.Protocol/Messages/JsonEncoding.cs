using System.Buffers;
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>The one way this library turns a write callback into UTF-8 JSON bytes.</summary>
internal static class JsonEncoding
{
    public static byte[] Encode<TState>(TState state, Action<Utf8JsonWriter, TState> write, int initialCapacity = 256)
    {
        var buffer = new ArrayBufferWriter<byte>(initialCapacity);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer, state);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
