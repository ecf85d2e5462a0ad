using System.Buffers;

namespace Lifeline.Hub.Core;

/// <summary>
/// Buffers for input being read: <c>POST /v1/logs</c> bodies and WebSocket messages. Up to <see cref="LargestPooled"/>
/// they come from <see cref="ArrayPool{T}.Shared"/> (a busy publisher rents and returns one per request or message);
/// larger ones are plain arrays that the GC reclaims. The shared pool keeps whatever is returned to it, in every size
/// up to 1 GiB (an array per size per thread, and up to 8 per size per core), and trims only at full collections after a
/// minute of disuse, which a quiet process does not have: before this, a storm of 20,100 bad inputs with bodies of up to
/// the 16 MiB limit left about 180 MB of body buffers held in it for good (docs/hub.md, "Memory after bad input").
/// Thread-safe.
/// </summary>
internal static class InputBuffers
{
    /// <summary>
    /// The largest buffer taken from the shared pool (256 KiB: a batch of over a thousand typical entries). What the pool
    /// can hold of these is bounded by their size: about 512 KiB per thread and 4 MiB per core over every bucket.
    /// </summary>
    public const int LargestPooled = 256 << 10;

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes; give it back with <see cref="Return"/>.</summary>
    public static byte[] Rent(int minimumLength) =>
        minimumLength <= LargestPooled ? ArrayPool<byte>.Shared.Rent(minimumLength) : GC.AllocateUninitializedArray<byte>(minimumLength);

    /// <summary>Gives back a buffer from <see cref="Rent"/>: to the pool if it came from there; a larger one is left to the GC.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length is > 0 and <= LargestPooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
