"""MPICH through ctypes, for the MPI test workers."""

import ctypes

# MPICH's ABI: MPI_Comm is an int, MPI_COMM_WORLD 0x44000000.
MPI_COMM_WORLD = ctypes.c_int(0x44000000)


def init():
    """MPI_Init; returns (libmpich, this rank, the number of ranks). The
    caller ends with `MPI_Finalize()` on the library."""
    mpi = ctypes.CDLL("libmpich.so.12", mode=ctypes.RTLD_GLOBAL)
    if mpi.MPI_Init(None, None) != 0:
        raise SystemExit("MPI_Init failed")
    rank, size = ctypes.c_int(), ctypes.c_int()
    mpi.MPI_Comm_rank(MPI_COMM_WORLD, ctypes.byref(rank))
    mpi.MPI_Comm_size(MPI_COMM_WORLD, ctypes.byref(size))
    return mpi, rank.value, size.value
