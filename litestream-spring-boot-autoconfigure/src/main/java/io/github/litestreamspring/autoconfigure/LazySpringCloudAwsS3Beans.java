package io.github.litestreamspring.autoconfigure;

import java.lang.reflect.Method;

import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.RootBeanDefinition;

/**
 * Marks the beans of Spring Cloud AWS's S3 auto-configurations ({@code S3Client}, its builder, the
 * presigner, the template, the transfer manager) lazy. Spring Cloud AWS resolves the AWS region when
 * it creates them, and fails without one; created on first use instead, an application with only file
 * replicas starts without AWS settings, while an S3 replica or an application bean that needs the
 * client gets it, and Spring Cloud AWS's behaviour, at that moment. Beans the application defines
 * itself are left as they are.
 */
final class LazySpringCloudAwsS3Beans implements BeanFactoryPostProcessor {

	private static final String S3_AUTO_CONFIGURATION_PACKAGE = "io.awspring.cloud.autoconfigure.s3.";

	@Override
	public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
		for (String name : beanFactory.getBeanDefinitionNames()) {
			BeanDefinition definition = beanFactory.getBeanDefinition(name);
			String declaringClass = declaringClass(definition);
			if (declaringClass != null && declaringClass.startsWith(S3_AUTO_CONFIGURATION_PACKAGE)
					&& definition instanceof AbstractBeanDefinition abstractDefinition
					&& abstractDefinition.getLazyInit() == null) {
				abstractDefinition.setLazyInit(true);
			}
		}
	}

	/** The class declaring the {@code @Bean} method, from its metadata or (AOT) its resolved method. */
	private static String declaringClass(BeanDefinition definition) {
		if (definition instanceof AnnotatedBeanDefinition annotated && annotated.getFactoryMethodMetadata() != null) {
			return annotated.getFactoryMethodMetadata().getDeclaringClassName();
		}
		if (definition instanceof RootBeanDefinition root) {
			Method method = root.getResolvedFactoryMethod();
			return (method != null) ? method.getDeclaringClass().getName() : null;
		}
		return null;
	}

}
