import java.util.*;
import org.minidiffusion.core.api.*;
import org.minidiffusion.nn.*;
import org.minidiffusion.nn.optim.*;
import org.minidiffusion.diffusion.*;
import org.minidiffusion.diffusion.unet.*;
import org.minidiffusion.diffusion.train.*;

public class T_tensor_basics { public static void main(String[] a) throws Exception {
// snippet: tensor-basics
Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);  // 2 rows of 3, row-major
Tensor b = Tensor.of(new float[] {10, 20, 30}, 3);           // broadcast over the rows
Tensor y = x.mul(2f).add(b);
System.out.println(y.shape() + " " + Arrays.toString(y.toArray()));
System.out.println("row sums " + Arrays.toString(y.sum(1).toArray()));
System.out.println("x xT     " + Arrays.toString(x.matmul(x.transpose(0, 1)).toArray()));
}}
