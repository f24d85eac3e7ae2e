package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class MachineLoadTest {
  private static final String STAT =
      "cpu  1000 50 200 8000 100 10 20 30 5 0\n"
          + "cpu0 500 25 100 4000 50 5 10 15 0 0\n"
          + "intr 12345\n";
  // The command name holds spaces and a parenthesis; utime 70, stime 30.
  private static final String SELF =
      "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 70 30 0 0 20 0 40 0 100 0 0\n";

  @Test
  void parsesProcStatAndTheProcessTimes() {
    MachineLoad.Sample s = MachineLoad.parse(STAT, SELF);
    assertEquals(1000 + 50 + 200 + 8000 + 100 + 10 + 20 + 30, s.total());
    assertEquals(8100, s.idle(), "idle plus iowait");
    assertEquals(30, s.steal());
    assertEquals(100, s.self());
    assertEquals(9410 - 8100 - 30 - 100, s.othersBusy());
  }

  @Test
  void sharesOfAnInterval() {
    MachineLoad.Sample a = new MachineLoad.Sample(1000, 500, 10, 100);
    // 1000 more ticks: 700 idle, 20 steal, this process 200, others 80.
    MachineLoad.Sample b = new MachineLoad.Sample(2000, 1200, 30, 300);
    MachineLoad.Interval i = MachineLoad.Interval.between(a, b).orElseThrow();
    assertEquals(0.08, i.others(), 1e-12);
    assertEquals(0.02, i.steal(), 1e-12);
    assertTrue(MachineLoad.busy(Optional.of(i), Optional.of(0.1)));
    assertTrue(MachineLoad.report(Optional.of(i), Optional.of(0.1)).contains("WARNING"));
    assertTrue(
        MachineLoad.report(Optional.of(i), Optional.of(0.1))
            .contains(
                "CPU time of other processes during the measurements: 8.0% of the machine;"
                    + " hypervisor steal: 2.0%"));
    assertFalse(MachineLoad.Interval.between(a, a).isPresent(), "no time passed");
  }

  @Test
  void idleUnlessTheLoadAverageWasHigh() {
    MachineLoad.Interval quiet = new MachineLoad.Interval(0.01, 0.0, 1000);
    assertFalse(MachineLoad.busy(Optional.of(quiet), Optional.of(0.2)));
    assertFalse(MachineLoad.report(Optional.of(quiet), Optional.of(0.2)).contains("WARNING"));
    assertTrue(MachineLoad.busy(Optional.of(quiet), Optional.of(0.7)));
  }

  @Test
  void withoutProcItSaysNotMeasured() {
    String r = MachineLoad.report(Optional.empty(), Optional.empty());
    assertTrue(r.contains("not measured"), r);
    assertFalse(r.contains("WARNING"), r);
    assertFalse(MachineLoad.busy(Optional.empty(), Optional.empty()));
  }

  @Test
  void parsesLoadAverageAndCpuModel() {
    assertEquals(0.69, MachineLoad.parseLoadAverage("0.69 0.85 1.39 1/85 8493\n"), 1e-12);
    assertEquals(
        Optional.of("AMD EPYC 7B13 64-Core Processor"),
        MachineLoad.parseCpuModel(
            "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core"
                + " Processor\nflags\t\t: fpu\n"));
    assertEquals(Optional.empty(), MachineLoad.parseCpuModel("processor\t: 0\n"));
  }
}
