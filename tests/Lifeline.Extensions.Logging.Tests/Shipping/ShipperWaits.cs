using Lifeline.Hub.Client.Shipping;

namespace Lifeline.Extensions.Logging.Tests.Shipping;

/// <summary>Waits on the shipper's own notifications (no polling, no sleeping).</summary>
internal static class ShipperWaits
{
    /// <summary>Completes once the shipper's stats satisfy <paramref name="condition"/> (checked now and after every change).</summary>
    public static async Task WaitForAsync(this LogShipper shipper, Func<LogShipperStats, bool> condition)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(LogShipperStats stats)
        {
            if (condition(stats))
            {
                reached.TrySetResult();
            }
        }

        shipper.StatsChanged += OnChanged;
        try
        {
            OnChanged(shipper.GetStats());
            await reached.Task;
        }
        finally
        {
            shipper.StatsChanged -= OnChanged;
        }
    }
}

/// <summary>The counters a test compares in one assertion.</summary>
internal readonly record struct ShipperCounts(long Enqueued, long Acknowledged, long Dropped)
{
    public static ShipperCounts Of(LogShipper shipper)
    {
        var s = shipper.GetStats();
        return new(s.Enqueued, s.Acknowledged, s.Dropped);
    }
}

internal static class OptionsExtensions
{
    public static T With<T>(this T options, Action<T> configure)
    {
        configure(options);
        return options;
    }
}
