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
