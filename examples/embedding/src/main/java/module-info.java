/** An application embedding maskrt: it reads only maskrt's exported packages. */
module example.embedding {
    requires dev.maskrt;
}
