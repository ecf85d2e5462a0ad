using Lifeline.Hub.Core;
using Microsoft.AspNetCore.Http;

namespace Lifeline.Hub.Hosting;

/// <summary>Reads a request body whole, within a limit. A malformed body (a broken chunk, an early end) throws Kestrel's <see cref="BadHttpRequestException"/>, which <see cref="ClientErrors"/> answers.</summary>
internal static class RequestBody
{
    /// <summary>
    /// Reads the body into a buffer rented from the shared pool (the caller returns it); <see langword="null"/> when it
    /// exceeds <paramref name="max"/>. A fresh buffer per request would put every body of 85 KB or more on the large
    /// object heap.
    /// </summary>
    public static async Task<(byte[]? Buffer, int Length)> ReadAsync(HttpContext context, long max)
    {
        // One byte over the Content-Length (or max) lets the final read see the end without growing.
        var buffer = InputBuffers.Rent((int)Math.Min(context.Request.ContentLength ?? 16 * 1024, max) + 1);
        var length = 0;
        var stream = context.Request.Body;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = InputBuffers.Rent((int)Math.Min(2L * buffer.Length, max + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    InputBuffers.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > max)
                {
                    InputBuffers.Return(buffer);
                    return (null, 0);
                }
            }
        }
        catch
        {
            InputBuffers.Return(buffer);
            throw;
        }
    }
}
