using System.Diagnostics.Metrics;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// Free bytes in Kestrel's block pool (<c>aspnetcore.memory_pool.pooled</c>), summed from the counter's deltas. The pool
/// keeps the blocks of a send burst after the burst and evicts them slowly; the idle-memory figure reports them apart
/// from what the connections hold. Counts from <see cref="Start"/>, so start it before the server.
/// </summary>
public static class KestrelPoolGauge
{
    private static MeterListener? s_listener;
    private static long s_pooled;

    /// <summary>Free bytes in Kestrel's pools since <see cref="Start"/>.</summary>
    public static long PooledBytes => Interlocked.Read(ref s_pooled);

    /// <summary>Starts listening (once per process).</summary>
    public static void Start()
    {
        if (Interlocked.CompareExchange(ref s_listener, new MeterListener(), null) is not null)
        {
            return;
        }

        s_listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.MemoryPool" && instrument.Name == "aspnetcore.memory_pool.pooled")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        s_listener.SetMeasurementEventCallback<long>((_, delta, _, _) => Interlocked.Add(ref s_pooled, delta));
        s_listener.Start();
    }
}
