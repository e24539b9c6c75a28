"""Two multiprocessing pool workers spin 0.6 s of CPU each in work(); the
parent only waits for them."""
import multiprocessing
import time


def work(_):
    end = time.thread_time() + 0.6
    while time.thread_time() < end:
        pass


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        pool.map(work, range(2), chunksize=1)
